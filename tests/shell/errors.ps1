# Errors: terminating and not, try/catch/finally, $?, $Error, -ErrorAction, -ErrorVariable.
try {
  throw 'boom'
} catch {
  "caught: $($_.Exception.Message)"
  "category: $($_.CategoryInfo.Category)"
} finally {
  'finally ran'
}
try { 1 / 0 } catch { "div: $($_.Exception.Message)" }
try { Get-NoSuchThing } catch { "type: $($_.Exception.GetType().Name)" }
try { Write-Error 'soft' -ErrorAction Stop } catch { "stop turned terminating: $_" }
Write-Error 'not terminating' -ErrorAction SilentlyContinue
"status after silent error: $?"
$Error[0].Exception.Message
$Error.Count -gt 0
Write-Error 'collected' -ErrorAction SilentlyContinue -ErrorVariable myErr
"ev: $($myErr[0])"
Write-Output 'ok'
"status after success: $?"
Write-Error -Message 'Port 9 is down' -Category ResourceUnavailable -TargetObject 9
"status after error: $?"
$Error[0].CategoryInfo.Category
$Error[0].TargetObject
$Error[0].FullyQualifiedErrorId
$Error[0].InvocationInfo.ScriptLineNumber
function Fail-Inner { throw 'inner failure' }
try { Fail-Inner } catch { "from function: $_" }
try {
  try { throw 'nested' } finally { 'inner finally' }
} catch { "outer caught: $_" }
try { try { throw 'inner' } catch { 'handling'; throw } } catch { "rethrown: $_" }
try { [int]'x' } catch [System.Management.Automation.PSInvalidCastException] { 'typed catch' } catch { 'generic catch' }
try { throw 'plain' } catch [System.ArgumentException] { 'wrong catch' } catch { 'fallback catch' }
function Write-Soft { [CmdletBinding()] param() Write-Error 'soft failure'; 'after soft' }
Write-Soft -ErrorAction SilentlyContinue
$r = Write-Error 'merged into output' 2>&1
"captured: $r ($($r.GetType().Name))"
Write-Error 'silenced' 2>$null
"still recorded: $($Error[0].Exception.Message)"
Get-NoSuchThing
'the script continues after a statement-terminating error'
$x = [int]'abc'
'and after a conversion error'
'abc'.NoSuchMethod()
$null.Length
$nothing.Call()
throw 'script-terminating'
'never printed'
