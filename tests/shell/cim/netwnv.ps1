# NetWNV cmdlets (and cimnet's virtual subnet / VM adapter ones) against a fresh cimnetd.
$rd = '{11111111-2222-3333-4444-000000000000}'
New-NetVirtualizationVirtualSubnet -VirtualSubnetID 5001 -RoutingDomainID $rd -Name Blue -AddressPrefixes 10.0.0.0/24, 2001:db8::/64
Get-NetVirtualizationVirtualSubnet

# Lookup records: IPv4, IPv6 and two wildcard records that differ only by MAC
New-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.5 -VirtualSubnetID 5001 -MACAddress 101010101105 -ProviderAddress 192.168.1.101 -Rule TranslationMethodEncap -VMName Blue-VM1 | Out-Null
New-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.6 -VirtualSubnetID 5001 -MACAddress 101010101106 -ProviderAddress 192.168.1.102 -Rule TranslationMethodEncap -VMName Blue-VM2 | Out-Null
New-NetVirtualizationLookupRecord -CustomerAddress 2001:db8::5 -VirtualSubnetID 5001 -MACAddress 101010101105 -ProviderAddress 192.168.1.101 -Rule "TranslationMethodEncap" -VMName Blue-VM1 | Out-Null
New-NetVirtualizationLookupRecord -CustomerAddress 0.0.0.0 -VirtualSubnetID 5001 -MACAddress 00155d05df01 -ProviderAddress 192.168.1.201 -Rule TranslationMethodEncap -Type GatewayWildcard -VMName GW1 | Out-Null
New-NetVirtualizationLookupRecord -CustomerAddress 0.0.0.0 -VirtualSubnetID 5001 -MACAddress 00155d05df02 -ProviderAddress 192.168.1.202 -Rule TranslationMethodEncap -Type GatewayWildcard -VMName GW2 | Out-Null
Get-NetVirtualizationLookupRecord
Get-NetVirtualizationLookupRecord -CustomerAddress 0.0.0.0 | Select-Object MACAddress, Unusable
Get-NetVirtualizationLookupRecord -VMName Blue-* -CustomerAddress 10.0.0.5, 2001:db8::5 | Format-Table CustomerAddress, VMName
Get-NetVirtualizationLookupRecord -VirtualSubnetID 6000

# Routes and provider addresses
New-NetVirtualizationCustomerRoute -RoutingDomainID $rd -VirtualSubnetID 5001 -DestinationPrefix 10.0.0.0/24 -NextHop 0.0.0.0 -Metric 255 | Out-Null
New-NetVirtualizationCustomerRoute -RoutingDomainID $rd -VirtualSubnetID 5001 -DestinationPrefix 0.0.0.0/0 -NextHop 10.0.0.6 | Out-Null
Get-NetVirtualizationCustomerRoute
New-NetVirtualizationProviderAddress -InterfaceIndex 1 -PrefixLength 24 -ProviderAddress 192.168.1.101 | Out-Null
New-NetVirtualizationProviderAddress -InterfaceIndex 1 -PrefixLength 64 -ProviderAddress 2001:db8:11::6 | Out-Null
Get-NetVirtualizationProviderAddress
Get-NetVirtualizationProviderAddress -ProviderAddress 2001:db8:11::6 | Set-NetVirtualizationProviderAddress -PrefixLength 48 -PassThru | Select-Object ProviderAddress, PrefixLength
New-NetVirtualizationProviderRoute -InterfaceIndex 1 -DestinationPrefix 0.0.0.0/0 -NextHop 192.168.1.1 -Metric 5 | Out-Null
Get-NetVirtualizationProviderRoute
Get-NetVirtualizationGlobal -ThrottleLimit 4 | Select-Object UseExternalRouter
Get-NetVirtualizationGlobal -AsJob
Set-NetVirtualizationGlobal -UseExternalRouter $true
Get-NetVirtualizationGlobal | Set-NetVirtualizationGlobal -UseExternalRouter $false -PassThru | Select-Object UseExternalRouter

# VM adapters in the virtual subnet
New-NetVirtualizationVMNetworkAdapter -InterfaceName tap0 -MACAddress 101010101105 -VirtualSubnetID 5001
Get-NetVirtualizationVMNetworkAdapter -VirtualSubnetID 5001 | Remove-NetVirtualizationVMNetworkAdapter -WhatIf
Get-NetVirtualizationVMNetworkAdapter | Measure-Object | Select-Object -ExpandProperty Count

# Set: by name and through the pipeline
Set-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.6 -ProviderAddress 192.168.1.103 -Context 'moved'
Get-NetVirtualizationLookupRecord -VirtualSubnetID 5001 -CustomerAddress 10.0.0.* | Set-NetVirtualizationLookupRecord -CustomerID '{00000000-0000-0000-0000-000000001234}' -PassThru | Select-Object CustomerAddress, ProviderAddress, Context, CustomerID
Set-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.5 -VirtualSubnetID 5001 -Rule TranslationMethodNat -UseVmMACAddress $true
Get-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.5 | Format-List CustomerAddress, Rule, UseVmMACAddress
Get-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.6 | Set-NetVirtualizationLookupRecord -Rule TranslationMethodNat -UseVmMACAddress $true -PassThru
Get-NetVirtualizationCustomerRoute -NextHop 10.0.0.6 | Set-NetVirtualizationCustomerRoute -Metric 3
Get-NetVirtualizationCustomerRoute -DestinationPrefix 0.0.0.0/0 | Select-Object DestinationPrefix, Metric
Set-NetVirtualizationProviderRoute -InterfaceIndex 1 -Metric 7 -WhatIf
Get-NetVirtualizationProviderRoute | Select-Object -ExpandProperty Metric

# Next hop: same subnet, then through the default route
Select-NetVirtualizationNextHop -SourceCustomerAddress 10.0.0.5 -DestinationCustomerAddress 10.0.0.6 -SourceVirtualSubnetID 5001 | Format-List NextHopAddress, NextHopMACAddress, SourceMACAddress
Select-NetVirtualizationNextHop 10.0.0.5 172.16.1.1 5001 | Select-Object NextHopAddress, NextHopMACAddress

# Validation: the agent refuses, nothing changes
New-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.9 -VirtualSubnetID 100 -MACAddress 101010101109 -ProviderAddress 192.168.1.101 -Rule TranslationMethodEncap
New-NetVirtualizationLookupRecord -CustomerAddress 10.0.0.9 -VirtualSubnetID 5001 -MACAddress 101010101109 -ProviderAddress 192.168.1.101 -Rule Tunnel
"records: $((Get-NetVirtualizationLookupRecord | Measure-Object).Count)"

# Remove: -WhatIf changes nothing, then for real
Remove-NetVirtualizationLookupRecord -CustomerAddress 0.0.0.0 -WhatIf
"records: $((Get-NetVirtualizationLookupRecord | Measure-Object).Count)"
Get-NetVirtualizationLookupRecord -MACAddress 00-15-5D-05-DF-01 | Remove-NetVirtualizationLookupRecord
Get-NetVirtualizationLookupRecord -CustomerAddress 0.0.0.0 | Select-Object MACAddress, Unusable
Remove-NetVirtualizationCustomerRoute -NextHop 10.0.0.6 -PassThru | Select-Object DestinationPrefix
Remove-NetVirtualizationProviderRoute
Remove-NetVirtualizationProviderAddress -ProviderAddress 192.168.1.101
Get-NetVirtualizationProviderAddress | Select-Object -ExpandProperty ProviderAddress
Remove-NetVirtualizationVMNetworkAdapter -InterfaceName tap0
Remove-NetVirtualizationLookupRecord
Remove-NetVirtualizationCustomerRoute
Remove-NetVirtualizationProviderAddress
"left: $(@(Get-NetVirtualizationLookupRecord).Count) $(@(Get-NetVirtualizationCustomerRoute).Count) $(@(Get-NetVirtualizationProviderAddress).Count) $(@(Get-NetVirtualizationProviderRoute).Count) $(@(Get-NetVirtualizationVMNetworkAdapter).Count)"
Remove-NetVirtualizationVirtualSubnet -VirtualSubnetID 5001
Get-NetVirtualizationVirtualSubnet
