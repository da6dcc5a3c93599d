# HTTPS sessions: New-CimSessionOption -UseSsl with and without the certificate checks
# (cimnetd serves a self-signed certificate).
$user, $secret = (Get-Content "$env:CIMNET_STATE_DIR/admin.password").Split(' ')
$cred = New-Object PSCredential -ArgumentList $user, (ConvertTo-SecureString $secret -AsPlainText -Force)
$opt = New-CimSessionOption -UseSsl -SkipCACheck -SkipCNCheck
$opt | Format-List UseSsl, SkipCACheck, SkipCNCheck
$s = New-CimSession -ComputerName 127.0.0.1 -Port $env:CIMNET_TLS_PORT -Credential $cred -Authentication Basic -SessionOption $opt
$s | Select-Object Name, ComputerName, Port, UseSsl
Get-NetworkSwitchEthernetPort -CimSession $s -PortNumber 8 | Select-Object Name, PSComputerName
Get-NetworkSwitchEthernetPort -CimSession $s -PortNumber 8 | Disable-NetworkSwitchEthernetPort
Get-CimInstance -CimSession $s CIM_EthernetPort -Filter 'PortNumber = 8' | Select-Object Name, EnabledState

# Without -SkipCACheck the self-signed certificate is refused.
New-CimSession -ComputerName 127.0.0.1 -Port $env:CIMNET_TLS_PORT -Credential $cred -Authentication Basic -SessionOption (New-CimSessionOption -UseSsl)
# Plain HTTP to the HTTPS port fails cleanly.
New-CimSession -ComputerName 127.0.0.1 -Port $env:CIMNET_TLS_PORT -Credential $cred -Authentication Basic
# Dcom is not available.
New-CimSessionOption -Protocol Dcom
