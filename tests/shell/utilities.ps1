# Utility cmdlets and default formatting.
$ports = @(
  [pscustomobject]@{ Name = 'eth1'; PortNumber = 1; Speed = 1000; Vlan = 10; Enabled = $true }
  [pscustomobject]@{ Name = 'eth2'; PortNumber = 2; Speed = 10000; Vlan = 20; Enabled = $false }
  [pscustomobject]@{ Name = 'eth3'; PortNumber = 3; Speed = 1000; Vlan = 10; Enabled = $true }
  [pscustomobject]@{ Name = 'eth4'; PortNumber = 4; Speed = 25000; Vlan = 30; Enabled = $true }
)
# five properties: list view
$ports[0]
# four or fewer: table view
$ports | Select-Object Name, PortNumber, Speed
$ports | Select-Object -First 2 -Property Name
$ports | Select-Object -Last 1 | Select-Object -ExpandProperty Name
$ports | Select-Object -Skip 3 -Property PortNumber
$ports | Select-Object Name, @{ Name = 'Gbps'; Expression = { $_.Speed / 1000 } }
$ports | Select-Object Vlan -Unique
$ports | Sort-Object Speed -Descending | Select-Object Name, Speed
$ports | Sort-Object Vlan, @{ Expression = 'Name'; Descending = $true } | ForEach-Object Name
3, 1, 2 | Sort-Object
'b', 'A', 'c' | Sort-Object -Descending
$ports | Group-Object Vlan
$ports | Group-Object Enabled -NoElement
$ports | Measure-Object
$ports | Measure-Object Speed -Sum -Average -Maximum -Minimum
$ports | Where-Object Enabled | Measure-Object | Select-Object -ExpandProperty Count
$ports | Format-Table Name, Vlan
$ports | Format-Table -Property Name, @{ Label = 'Speed (Mb)'; Expression = { $_.Speed }; Width = 12 }
$ports[1] | Format-List Name, Enabled
$ports[1] | Format-List
@{ b = 2; a = 1 }
$ports | Where-Object PortNumber -eq 2 | Out-String
($ports | Select-Object -First 1 Name | Out-String -Stream).Count
1..3 | ForEach-Object -Begin { 'start' } -Process { $_ * 10 } -End { 'done' }
1..3 | ForEach-Object { 'b' } { $_ } { 'e' }
'abc', 'de' | ForEach-Object Length
'abc' | ForEach-Object ToUpper
Write-Output 1 2 3 | Measure-Object -Sum | ForEach-Object Sum
Write-Output -NoEnumerate 1, 2 | ForEach-Object { $_.Count }
Write-Host 'host' 'text' -Separator '-'
Write-Host 'no newline ' -NoNewline
Write-Host 'then this'
Write-Warning 'careful'
Write-Verbose 'hidden'
Write-Verbose 'shown' -Verbose
Get-Date -Date '2024-03-05 14:07:09' -Format 'yyyy-MM-dd HH:mm:ss dddd'
Get-Date -Date '2024-03-05' -UFormat '%Y/%m/%d'
(Get-Date -Date '2024-12-31').AddDays(1).Year
Start-Sleep -Milliseconds 10
'slept'
$ports[0] | Get-Member -MemberType NoteProperty
'text' | Get-Member -Name Length
Get-Command -Name *-Object
Get-Command -Verb Write -Noun Error
Get-Command where
Get-Command Get-Nothing
$ports | Select-Object -First 3 | ForEach-Object -Begin { $n = 0 } -Process { $n++ } -End { "passed: $n" }
