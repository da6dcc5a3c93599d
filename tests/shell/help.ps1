# Get-Help from the help text registered beside each cmdlet; Get-Command definitions.
Get-Help Sort-Object
Get-Help Where-Object -Parameter Property
Get-Help Select-Object -Examples
Get-Help *-Csv
Get-Help Get-Nothing
function Get-Mine { param([string]$Name) $Name }
(Get-Command Get-Mine).CommandType
Get-Help Get-Mine
