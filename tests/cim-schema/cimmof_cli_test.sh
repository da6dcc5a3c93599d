#!/usr/bin/env bash
# cimmof's contract: counts and exit 0 on success, file:line:col and exit 1 on
# error, --show prints the resolved class.
set -u
cimmof=$1 shared=$2
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

out=$("$cimmof" "$shared/dmtf/cim-schema-2.32.0/cim_schema_2.32.0.mof" 2>"$tmp/err"); rc=$?
check "DMTF schema compiles, exit 0" '[ $rc -eq 0 ]'
check "DMTF schema counts" '[ "$out" = "1418 classes, 71 qualifier types, 0 instances" ]'
check "DMTF schema has no warnings" '[ ! -s "$tmp/err" ]'

out=$("$cimmof" "$shared/dmtf/msft-networkschema/CIM_Schema.mof" 2>/dev/null); rc=$?
check "switch schema compiles, exit 0" '[ $rc -eq 0 ] && [ "$out" = "130 classes, 71 qualifier types, 0 instances" ]'

show=$("$cimmof" --show CIM_EthernetPort "$shared/dmtf/cim-schema-2.32.0/cim_schema_2.32.0.mof"); rc=$?
check "--show exit 0" '[ $rc -eq 0 ]'
check "--show has the class line" 'grep -q "^class CIM_EthernetPort : CIM_NetworkPort" <<<"$show"'
for member in InstanceID OperationalStatus EnabledState DeviceID Speed PortNumber PortType RequestStateChange; do
  check "--show has $member" 'grep -q "[ ]$member[;(\[ ]" <<<"$show"'
done
check "--show marks keys" 'grep -B3 "string DeviceID;" <<<"$show" | grep -q Key'
check "--show has value maps" 'grep -q "ValueMap {\"0\", \"1\", \"50\"" <<<"$show"'
check "--show names inherited origins" 'grep -q "// from CIM_ManagedElement" <<<"$show"'

printf 'class A {\n  uint16 X\n};\n' > "$tmp/bad.mof"
err=$("$cimmof" "$tmp/bad.mof" 2>&1); rc=$?
check "error exit 1" '[ $rc -eq 1 ]'
check "error has file:line:col" 'grep -q "bad.mof:3:1: expected '"'"';'"'"'" <<<"$err"'

"$cimmof" --show CIM_Nope "$shared/dmtf/cim-schema-2.32.0/cim_schema_2.32.0.mof" >/dev/null 2>&1; rc=$?
check "--show unknown class exit 1" '[ $rc -eq 1 ]'
"$cimmof" >/dev/null 2>&1; rc=$?
check "no files is a usage error" '[ $rc -eq 2 ]'
exit $fail
