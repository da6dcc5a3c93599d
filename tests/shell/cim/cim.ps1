# CIM sessions and the CimCmdlets against a fresh cimnetd (simulated 8-port switch).
$user, $secret = (Get-Content "$env:CIMNET_STATE_DIR/admin.password").Split(' ')
$pw = ConvertTo-SecureString $secret -AsPlainText -Force
$cred = New-Object PSCredential -ArgumentList $user, $pw
$s = New-CimSession -ComputerName 127.0.0.1 -Port $env:CIMNET_PORT -Credential $cred -Authentication Basic -Name sw1
$s | Select-Object Id, Name, ComputerName, Protocol
Get-CimSession -Name sw* | Select-Object -ExpandProperty Name
$cred.Password

# Enumeration: class, filter, query, key-only, property selection, shallow
Get-CimInstance -CimSession $s -ClassName CIM_EthernetPort -Filter 'PortNumber <= 2' | Format-Table Name, PortNumber, EnabledState, PSComputerName
Get-CimInstance -CimSession $s -Query 'SELECT * FROM CIM_EthernetPort WHERE PortNumber = 8' | Select-Object -ExpandProperty DeviceID
Get-CimInstance -CimSession $s CIM_EthernetPort -KeyOnly | Select-Object -First 1 | Format-List SystemName, CreationClassName, DeviceID, PortNumber
Get-CimInstance -CimSession $s CIM_EthernetPort -Property PortNumber | Select-Object -First 1 | Format-List DeviceID, PortNumber, Speed
Get-CimInstance -CimSession $s CIM_NetworkVLAN | Select-Object VLANId, ElementName
Get-CimInstance -CimSession $s CIM_NetworkVLAN -Shallow | Measure-Object | Select-Object -ExpandProperty Count
Get-CimInstance -CimSession $s CIM_RegisteredProfile -Namespace root/interop | Sort-Object RegisteredName | Select-Object RegisteredName, RegisteredVersion

# Instances remember their session: no second -CimSession downstream
$port = Get-CimInstance -CimSession $s CIM_EthernetPort -Filter 'PortNumber = 3'
$port | Invoke-CimMethod -MethodName RequestStateChange -Arguments @{RequestedState = 3}
Get-CimInstance -InputObject $port | Select-Object Name, EnabledState
$port | Get-CimAssociatedInstance -ResultClassName CIM_LANEndpoint | Select-Object Name
$port | Get-CimAssociatedInstance -Association CIM_SystemDevice | Select-Object Name, Dedicated
$port.Description = 'to the core'
$port | Set-CimInstance -PassThru | Select-Object Name, Description
Set-CimInstance -InputObject $port -Property @{Description = 'spare'} -WhatIf
Get-CimInstance -InputObject $port | Select-Object Description

# Embedded instances and references as method arguments
$cs = Get-CimInstance -CimSession $s CIM_ComputerSystem
$svc = Get-CimInstance -CimSession $s MSFT_SwitchService
$vlan = New-CimInstance -ClassName CIM_NetworkVLAN -Property @{VLANId = 30; ElementName = 'storage'} -ClientOnly
Invoke-CimMethod -InputObject $svc -MethodName AddVLAN -Arguments @{TargetedSwitch = $cs; NetworkVLAN = @($vlan)} | Select-Object ReturnValue
Get-CimInstance -CimSession $s MSFT_NetworkVLAN -Filter 'VLANId = 30' | Select-Object VLANId, ElementName, InstanceID

# Classes
Get-CimClass -CimSession $s -ClassName CIM_EthernetPort | Select-Object CimClassName, CimSuperClassName
(Get-CimClass -CimSession $s -ClassName MSFT_SwitchService).CimClassMethods | Where-Object Name -like '*VLAN' | Select-Object -ExpandProperty Name
Get-CimClass -CimSession $s -ClassName MSFT_* | Select-Object -ExpandProperty CimClassName

# Errors
Get-CimInstance -CimSession $s -ClassName CIM_NoSuchThing
Invoke-CimMethod -InputObject $port -MethodName NoSuchMethod
Set-CimInstance -InputObject $port -Property @{NoSuchProperty = 1}
$bad = New-Object PSCredential -ArgumentList $user, (ConvertTo-SecureString 'wrong' -AsPlainText -Force)
New-CimSession -ComputerName 127.0.0.1 -Port $env:CIMNET_PORT -Credential $bad
New-CimSession -ComputerName 127.0.0.1 -Port $env:CIMNET_PORT -Authentication Kerberos
ConvertTo-SecureString 'x' -AsPlainText
Get-CimInstance -CimSession 'sw1' CIM_EthernetPort

Remove-CimSession -Name sw1 -WhatIf
$s | Remove-CimSession
Get-CimSession | Measure-Object | Select-Object -ExpandProperty Count
