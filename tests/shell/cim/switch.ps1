# NetworkSwitchManager cmdlets against the simulated 8-port switch of a fresh cimnetd.
Get-NetworkSwitchEthernetPort -PortNumber 1,2
Get-SwitchEthernetPort | Measure-Object | Select-Object -ExpandProperty Count
Get-SwitchEthernetPort -DeviceId Ethernet3 | Select-Object Name, PortMode, AccessVLAN, TrunkedVLANList

# VLANs: create, list, filter, rename, remove
New-SwitchVlan -VlanID 10 -Name web -Caption 'VLAN 10' -Description 'web servers'
New-NetworkSwitchVlan -VlanID 20 -Name db
Get-SwitchVlan
Get-NetworkSwitchVlan -Name w*
Get-NetworkSwitchVlan -VlanId 99
Set-NetworkSwitchVlanProperty -VlanId 20 -Property @{ElementName = 'database'}
Get-NetworkSwitchVlan -VlanId 20 | Select-Object VLANId, ElementName, Name

# Port modes through the pipeline (the early-demo names and Windows' names)
Get-SwitchEthernetPort -PortNumber 3 | Set-SwitchEthernetPort -AccessMode -AccessVlan 10
Get-NetworkSwitchEthernetPort -PortNumber 5 | Set-NetworkSwitchPortMode -TrunkMode -VlanIDs 10,20
Get-SwitchEthernetPort -PortNumber 3,5 | Format-Table Name, PortMode, AccessVLAN, TrunkedVLANList
Get-SwitchEthernetPort -PortNumber 6 | Set-SwitchEthernetPort -AccessMode -AccessVlan 10 -WhatIf
Get-SwitchEthernetPort -PortNumber 6 | Select-Object Name, AccessVLAN

# Port state
Disable-NetworkSwitchEthernetPort -PortNumber 2 -WhatIf
Disable-NetworkSwitchEthernetPort -PortNumber 2
Get-SwitchEthernetPort -PortNumber 2 | Select-Object Name, EnabledState
Enable-SwitchEthernetPort -DeviceID Ethernet2
Get-SwitchEthernetPort -PortNumber 2 | Select-Object Name, EnabledState
Enable-SwitchEthernetPort -PortNumber 42
Get-SwitchEthernetPort -PortNumber 2 | Set-NetworkSwitchPortProperty -Property @{Description = 'uplink'}
(Get-SwitchEthernetPort -PortNumber 2).Description

# Parameter sets
Set-NetworkSwitchPortMode -AccessMode -VlanIDs 1,2
Get-SwitchEthernetPort -PortNumber 1 -DeviceId Ethernet1

Remove-NetworkSwitchVlan -VlanId 20 -WhatIf
Remove-NetworkSwitchVlan -VlanId 20
Get-SwitchVlan | Select-Object -ExpandProperty VLANId
Get-NetworkSwitchFeature
Get-NetworkSwitchGlobalData | Select-Object Name, InstanceID

# Routed ports: IP addresses through AddProtocolEndpoint, shown by Get-NetworkSwitchEthernetPort
Set-NetworkSwitchEthernetPortIPAddress -PortNumber 7 -IpAddress 10.7.0.1 -SubnetAddress 255.255.255.0
(Get-NetworkSwitchEthernetPort -PortNumber 7).IPAddress
Get-SwitchEthernetPort -PortNumber 6 | Set-NetworkSwitchPortMode -RouteMode -IpAddress 2001:DB8:6::1 -SubnetAddress 64
Get-SwitchEthernetPort -PortNumber 6 | Select-Object -ExpandProperty IPAddress | Select-Object IPv6Address, PrefixLength, ProtocolIFType
Set-NetworkSwitchEthernetPortIPAddress -PortNumber 8 -IpAddress 10.7.0.1 -SubnetAddress 255.255.255.0
Set-NetworkSwitchEthernetPortIPAddress -PortNumber 8 -IpAddress 10.8.0.300 -SubnetAddress 255.255.255.0
Set-NetworkSwitchEthernetPortIPAddress -PortNumber 8 -IpAddress 10.8.0.1 -SubnetAddress 255.0.255.0
Set-NetworkSwitchEthernetPortIPAddress -PortNumber 42 -IpAddress 10.42.0.1 -SubnetAddress 255.255.255.0
Get-SwitchEthernetPort -PortNumber 7 | Set-SwitchEthernetPort -AccessMode -AccessVlan 1
Remove-NetworkSwitchEthernetPortIPAddress -PortNumber 7 -WhatIf
Remove-NetworkSwitchEthernetPortIPAddress -PortNumber 7
Get-SwitchEthernetPort -PortNumber 6,7,8 | ForEach-Object { "$($_.Name) mode $($_.PortMode) VLAN $($_.AccessVLAN) IP $($_.IPAddress.IPv4Address)$($_.IPAddress.IPv6Address)" }
