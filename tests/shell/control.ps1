# Control flow, functions, script blocks, scopes.
$n = 3
if ($n -gt 5) { 'big' } elseif ($n -gt 2) { 'medium' } else { 'small' }
if ($false) { 'no' }
else {
  'else branch'
}
foreach ($p in 1, 2, 3) { "port $p" }
$i = 0
while ($i -lt 3) { $i++; if ($i -eq 2) { continue }; "while $i" }
for ($k = 0; $k -lt 10; $k++) { if ($k -eq 2) { break }; "for $k" }
do { $i-- } while ($i -gt 0)
"after do: $i"
do { $i++ } until ($i -ge 2)
"after until: $i"
:outer foreach ($a in 1, 2) { foreach ($b in 1, 2) { if ($b -eq 2) { continue outer }; "$a.$b" } }

function Get-Square($v) { $v * $v }
Get-Square 7
Get-Square -v 3

function Add-Numbers {
  param([int]$A, [int]$B = 10)
  $A + $B
}
Add-Numbers 1 2
Add-Numbers -A 5
Add-Numbers -B 1 -A 2

function Show-Args { "count=$($args.Count) first=$($args[0])" }
Show-Args x y z

function Get-Early { 'one'; return 'two'; 'three' }
Get-Early

function Get-Doubled {
  [CmdletBinding()]
  param([Parameter(Mandatory, ValueFromPipeline)][int]$Value)
  begin { $total = 0 }
  process { $total += $Value; $Value * 2 }
  end { "total=$total" }
}
1, 2, 3 | Get-Doubled

filter Only-Odd { if ($_ % 2) { $_ } }
1..6 | Only-Odd

function Use-Switch([switch]$Force) { "force=$Force" }
Use-Switch
Use-Switch -Force
Use-Switch -Force:$false

$sb = { param($x) "block got $x" }
& $sb 42
$sb.Invoke('inv')
$counter = 0
1..4 | ForEach-Object { $counter += $_ }
"counter=$counter"
function Set-Inner { $counter = 100; "inner=$counter" }
Set-Inner
"outer=$counter"
$global:g = 'global value'
function Read-Global { $g }
Read-Global
(1, 2, 3).ForEach({ $_ + 1 }) -join ','
(1, 2, 3, 4).Where({ $_ -gt 2 }) -join ','
$splat = @{ A = 4; B = 5 }
Add-Numbers @splat
$v = if ($n -eq 3) { 'three' } else { 'other' }
$v
$list = foreach ($q in 1..3) { $q * 10 }
$list -join ' '
$a, $b = 'first', 'second', 'third'
$a
$b -join '|'
"$PSItem" -eq ''
# switch
switch (3) { 1 { 'one' } 3 { 'three' } default { 'other' } }
switch ('eth1', 'vlan7', 'x') {
  { $_ -like 'eth*' } { "port $_" }
  'vlan7' { 'a vlan'; continue }
  default { "unknown $_" }
}
switch -Wildcard ('Port12') { 'port*' { 'wildcard match' } 'P*' { 'second match' } }
switch -Regex ('vlan42') { '^vlan(\d+)$' { "vlan id $($Matches[1])"; break } '.*' { 'not reached' } }
switch -CaseSensitive ('ABC') { 'abc' { 'lower' } 'ABC' { 'upper' } }
$kind = switch (2) { 1 { 'single' } 2 { 'double' } }
$kind
