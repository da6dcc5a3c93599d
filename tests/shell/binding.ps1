# Parameter binding: named, positional, prefixes, aliases, switches, sets, pipeline, errors.
function Set-Port {
  [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Access')]
  param(
    [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)][int]$PortNumber,
    [Parameter(ParameterSetName = 'Access')][switch]$AccessMode,
    [Parameter(ParameterSetName = 'Access')][int]$AccessVlan,
    [Parameter(ParameterSetName = 'Trunk')][switch]$TrunkMode,
    [Parameter(ParameterSetName = 'Trunk')][int[]]$TrunkVlans,
    [Alias('Desc')][string]$Description
  )
  process {
    if ($PSCmdlet.ShouldProcess("port $PortNumber", 'Set-Port')) {
      "port=$PortNumber set=$($PSCmdlet.ParameterSetName) access=$AccessVlan trunk=$($TrunkVlans -join ',') desc=$Description"
    }
  }
}
Set-Port 1 -AccessMode -AccessVlan 10
Set-Port -Port 2 -TrunkMode -TrunkVlans 10,20,30
Set-Port -PortN 3 -Desc uplink
Set-Port 4 -WhatIf -Desc 'would change'
[pscustomobject]@{ PortNumber = 5 }, [pscustomobject]@{ PortNumber = 6 } | Set-Port -Description piped
# errors
Set-Port 1 -Acc 5
Set-Port 1 -NoSuchParameter
Set-Port 1 -AccessMode -TrunkMode
Set-Port -PortNumber 1 -PortNumber 2
Set-Port -PortNumber
Set-Port 1 2
Set-Port notanumber
Set-Port
Select-Object -First x
1..3 | Select-Object -First -1
'x' | Set-Port
Get-Date -Format
Write-Output -InputObject 1 -ErrorAction Sometimes
# the simplified Where-Object chooses its parameter set from the operator switch
$objs = [pscustomobject]@{ Name = 'a'; N = 1 }, [pscustomobject]@{ Name = 'b'; N = 2 }, [pscustomobject]@{ Name = 'c'; N = 3 }
($objs | Where-Object N -ge 2).Name -join ','
($objs | Where-Object Name -in 'a', 'c').Name -join ','
($objs | Where-Object Name -like 'B').N
($objs | Where-Object -Property N -Value 1 -EQ).Name
($objs | Where-Object { $_.N -lt 3 } | Select-Object -ExpandProperty Name) -join ','
$objs | Where-Object N -eq 3 | ForEach-Object Name
