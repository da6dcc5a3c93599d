# Member access and methods on strings, arrays, hashtables, dates and objects; casts.
$s = '  Port-Channel 12  '
$s.Trim()
$s.Trim().ToUpper()
$s.Trim().ToLower().Replace('port', 'lag')
$s.Length
$s.Trim().Split(' ')[1]
$s.Contains('Channel')
$s.Trim().StartsWith('Port')
$s.Trim().EndsWith('x')
$s.IndexOf('C')
'eth'.PadRight(6, '.') + '|'
'7'.PadLeft(3, '0')
'abcdef'.Substring(2, 3)
'a-b'.Insert(1, '+').Remove(0, 1)
('x' * 3).ToCharArray().Count
'abc'[1]
'abc'.GetType().FullName
$a = 10, 20, 30
$a.Length
$a.IndexOf(20)
$a.Contains(30)
$a[1..2] -join ','
$a[-2]
$objs = [pscustomobject]@{ Name = 'p1'; Vlan = 10 }, [pscustomobject]@{ Name = 'p2'; Vlan = 20 }
$objs.Name -join ','
$objs.Vlan | Measure-Object -Sum | ForEach-Object Sum
$objs[0].Name = 'renamed'
$objs[0].Name
$objs[1].PSObject.Properties.Name -join ','
$objs[1] | Add-Member -NotePropertyName Extra -NotePropertyValue 1
($objs[1] | Add-Member -MemberType NoteProperty -Name More -Value 2 -PassThru).More
$objs[1] | Add-Member Extra 3
$objs[1] | Add-Member -NotePropertyMembers @{ Extra = 4 } -Force
$objs[1].Extra
$h = @{ one = 1 }
$h.Add('two', 2)
$h.Remove('one')
$h.Keys -join ','
$h.ContainsValue(2)
$h.GetEnumerator() | ForEach-Object { "$($_.Key)->$($_.Value)" }
$h.Add('two', 3)
$o = [ordered]@{ z = 1; a = 2 }
$o.Keys -join ','
$o.GetType().Name
$d = [datetime]'2024-02-28 23:30:00'
$d.AddHours(1).ToString('yyyy-MM-dd HH:mm')
$d.Year, $d.Month, $d.Day -join '/'
$d.DayOfWeek
$d -lt [datetime]'2025-01-01'
[int]3.5
[int]2.5
[long]'9000000000'
[double]'1.25'
[string[]](1, 2) -join '+'
[int[]]'1', '2' -join '+'
[bool]'false'
[char]65
[pscustomobject]@{ A = 1 } -is [pscustomobject]
[int]'x1'
[NoSuchType]'x'
[math]::PI -gt 3.14
[string]::IsNullOrEmpty('')
[datetime]::Parse('2024-01-02').Day
$n = New-Object PSObject -Property @{ Name = 'eth9' }
$n.Name
(New-Object System.Collections.Hashtable).Count
New-Object System.Net.WebClient
