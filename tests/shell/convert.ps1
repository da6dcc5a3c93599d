# JSON and CSV conversion, Export-Csv -WhatIf, files in the current (scratch) folder.
$port = [pscustomobject]@{ Name = 'eth1'; Speed = 1000; Tags = @('uplink', 'lag'); Up = $true; Note = $null
  Nested = [pscustomobject]@{ Level = 1; Deeper = [pscustomobject]@{ Level = 2; Deepest = @{ Level = 3 } } } }
$port | ConvertTo-Json
$port | ConvertTo-Json -Compress -Depth 5
1, 2, 3 | ConvertTo-Json -Compress
@{ a = 'quote " and \ backslash' } | ConvertTo-Json -Compress
$obj = '{"Name":"p1","Speed":10,"Ratio":0.5,"Vlans":[1,2],"Sub":{"On":true,"Off":null}}' | ConvertFrom-Json
$obj.Name
$obj.Speed + 1
$obj.Ratio * 2
$obj.Vlans -join ','
$obj.Sub.On
$null -eq $obj.Sub.Off
$obj | Select-Object Name, Speed
'[1,2,3]' | ConvertFrom-Json | Measure-Object -Sum | ForEach-Object Sum
('{"k":"v"}' | ConvertFrom-Json -AsHashtable).k
'{"bad": }' | ConvertFrom-Json
$rows = [pscustomobject]@{ Name = 'eth1'; Desc = 'has, comma' }, [pscustomobject]@{ Name = 'eth2'; Desc = 'has "quotes"' }
$rows | ConvertTo-Csv
$rows | ConvertTo-Csv -Delimiter ';' -UseQuotes AsNeeded
$rows | Export-Csv ports.csv
Get-Content ports.csv
$back = Import-Csv ports.csv
$back.Count
$back[1].Desc
$back | Format-Table
[pscustomobject]@{ Name = 'eth3'; Desc = 'appended' } | Export-Csv ports.csv -Append
(Import-Csv ports.csv).Name -join ','
[pscustomobject]@{ Name = 'x'; Desc = 'y' } | Export-Csv whatif.csv -WhatIf
Test-Path whatif.csv
'a,b', '1,2' | ConvertFrom-Csv | ForEach-Object { $_.a + $_.b }
Import-Csv missing.csv
'done'
