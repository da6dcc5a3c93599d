# Language basics: variables, strings, numbers, arrays, hashtables, operators.
$x = 5
$y = 2
$x + $y
$x - $y
$x * $y
$x / $y
$x % $y
7 / 7
10 / 4
2 + "3"
"2" + 3
"ab" * 3
1..5 -join ','
$name = 'World'
"Hello, $name!"
'Hello, $name!'
"Sum: $($x + $y)"
"Escapes: tab[`t] quote[`"] dollar[`$x] doubled[""]"
'It''s'
$s = @"
Here $name
  indented
"@
$s
$lit = @'
No $expansion here
'@
$lit
0x1F
1.5e2
2kb
$arr = 1, 4, 9
$arr.Count
$arr[0]
$arr[-1]
$arr[0..1] -join '+'
$arr += 16
$arr -join ' '
$empty = @()
$empty.Count
@(1).Count
$h = @{ Name = 'port1'; Speed = 1000 }
$h.Name
$h['Speed']
$h.Count
$h.Vlan = 10
$h.Keys -join ','
$h.ContainsKey('vlan')
# comparison operators
5 -eq 5
'abc' -eq 'ABC'
'abc' -ceq 'ABC'
5 -ne 4
5 -gt 4
5 -ge 5
4 -lt 5
5 -le 4
'port12' -like 'port*'
'port12' -notlike 'vlan*'
'port12' -match '^port(\d+)$'
$Matches[1]
'vlan7' -match '(?<id>\d+)'
$Matches.id
'abc' -notmatch 'x'
1, 2, 3 -contains 2
1, 2, 3 -notcontains 5
2 -in 1, 2, 3
5 -notin 1, 2, 3
1, 2, 3, 4 -gt 2
'a-b-c' -split '-'
'a,b' -replace ',', ';'
'port 12' -replace '(\w+) (\d+)', '$2:$1'
$true -and $false
$true -or $false
-not $true
!$false
$true -xor $true
'{0} has {1,5} ports' -f 'sw1', 48
'{0:N2}' -f 1234.5
[int]'42' + 1
[string]12 + 3
[bool]0
'5' -as [int]
5 -is [int]
'x' -is [string]
$null -eq $undefined
[math]::Round(2.567, 1)
[math]::Max(3, 9)
[string]::Join('/', @('a', 'b'))
$i = 0
$i++
$i
$i += 10
$i
# <# block comments #> are skipped
<# a
   multi-line comment #>
'after comment'
