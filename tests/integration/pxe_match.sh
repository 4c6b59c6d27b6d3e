#!/usr/bin/env bash
# tests/integration/pxe_match.sh: `ramhost pxe match`, the dry run of the host rules: two rules and an unknown
# MAC, --json, a bad configuration named FILE:LINE, the exit codes (0 match, 1 none or bad file, 2 usage).
. "$(dirname "$0")/../lib.sh"

write_config() {
	pxe_fake_image "$T/img-web" web
	pxe_fake_image "$T/img-db" db
	cat >"$T/pxe.conf" <<CONF
# two images, two rules
mode = off
reserve 52:54:00:aa:00:01 10.0.0.50 hostname=db1 tags=gpu,rack1
image web img-web
image db $T/img-db

rule db
    match tag gpu
    image db
    state none

rule web
    match mac 52:54:00:12:*
    match arch efi-x64 bios
    image web
    kernelopt quiet
    hostname web-{mac}
CONF
}

case_two_rules() {
	write_config
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 52:54:00:12:34:56 --arch efi-x64 >out
	grep -q '^rule: *web$' out
	grep -q 'mac 52:54:00:12:\* matched; arch efi-x64 matched' out
	grep -q '^hostname: *web-525400123456$' out
	grep -q '^kernelopt: console=ttyS0 quiet ramhost.hostname=web-525400123456 ramhost.net=1 ramhost.ready.url=http://SERVER:PORT/host/52-54-00-12-34-56/ready ramhost.state.url=http://SERVER:PORT/host/52-54-00-12-34-56/state ramhost.state.token=TOKEN$' out
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 52:54:00:aa:00:01 >out
	grep -q '^rule: *db$' out
	grep -q 'tag gpu matched' out
	grep -q '^hostname: *db1$' out
	grep -q '^state: *none$' out
}

case_no_match() {
	write_config
	set +e
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 00:11:22:33:44:55 >out
	rc=$?
	set -e
	[ "$rc" -eq 1 ]
	grep -q 'no rule matches (2 rules)' out
	# the arch line of rule web does not hold for an ARM host
	set +e
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 52:54:00:12:34:56 --arch efi-arm64 >out
	rc=$?
	set -e
	[ "$rc" -eq 1 ]
}

case_json() {
	write_config
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 52-54-00-12-34-56 --arch bios --json >out
	python3 - out <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["matched"] is True and d["rule"] == "web" and d["image"] == "web", d
assert d["hostname"] == "web-525400123456" and d["state"] == "keep", d
assert d["loader"].startswith("BIOS"), d
PY
	set +e
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 02:00:00:00:00:01 --json >out
	rc=$?
	set -e
	[ "$rc" -eq 1 ]
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["matched"] is False and d["rule"] is None' out
}

case_bad_config() {
	write_config
	printf 'rule extra\n    match colour blue\n    image web\n' >>"$T/pxe.conf"
	expect_fail "$RAMHOST" pxe match "$T/pxe.conf" --mac 52:54:00:12:34:56
	expect_err "pxe.conf:19: unknown match field 'colour'"
	printf 'mode = off\nrule a\n    image nowhere\n' >"$T/b.conf"
	expect_fail "$RAMHOST" pxe match "$T/b.conf" --mac 52:54:00:12:34:56
	expect_err "b.conf:3: image 'nowhere' is not defined"
	printf 'mode = off\nimage web img-web\nrule a\n    image web\nrule a\n    image web\n' >"$T/c.conf"
	expect_fail "$RAMHOST" pxe match "$T/c.conf" --mac 52:54:00:12:34:56
	expect_err "c.conf:5: rule a is defined twice \(first on line 3\)"
	# an artifact boot.cfg names is missing from the image directory
	rm -f "$T"/img-db/a/*
	expect_fail "$RAMHOST" pxe match "$T/pxe.conf" --mac 52:54:00:12:34:56
	expect_err "pxe.conf:5: image db: .*img-db: a/[0-9a-f]{64} \(of vmlinuz in boot.cfg\)"
}

case_usage() {
	write_config
	set +e
	"$RAMHOST" pxe match "$T/pxe.conf" 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" pxe match "$T/pxe.conf" --mac nonsense 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 52:54:00:12:34:56 --arch pdp11 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" pxe bogus 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" pxe serve 2>/dev/null; [ $? -eq 2 ] || exit 1
	"$RAMHOST" pxe serve --image "$T/img-web" 2>/dev/null; [ $? -eq 2 ] || exit 1          # no --interface
	"$RAMHOST" pxe serve --interface lo --image "$T/img-web" --range 10.0.0.9-10.0.0.1 2>/dev/null
	[ $? -eq 2 ] || exit 1
	"$RAMHOST" pxe status --bogus 2>/dev/null; [ $? -eq 2 ] || exit 1
	set -e
	"$RAMHOST" pxe serve --help | grep -q 'quick start'
	"$RAMHOST" pxe match --help | grep -q 'Usage: ramhost pxe match'
	"$RAMHOST" pxe --help | grep -q 'ramhost pxe status'
}

# facts only the iPXE request knows (serial) and the address: globs and subnets in the dry run
case_facts() {
	write_config
	cat >>"$T/pxe.conf" <<CONF
rule lab
    match serial sn-*
    match subnet 10.9.0.0/16
    image db
    hostname lab-{serial}
CONF
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 02:00:00:00:00:09 --serial SN-77 --ip 10.9.3.4 >out
	grep -q '^rule: *lab$' out
	grep -q '^hostname: *lab-sn-77$' out
	set +e
	"$RAMHOST" pxe match "$T/pxe.conf" --mac 02:00:00:00:00:09 --serial SN-77 --ip 10.8.3.4 >out
	rc=$?
	set -e
	[ "$rc" -eq 1 ]
}

# examples/pxe/pxe.conf stays a working configuration (its image and keys moved to the test's own).
example_config_works() {
	pxe_fake_image "$T/demo" demo
	sed -e "s#/srv/pxe/demo#$T/demo#" -e '/^sign-key/d' -e '/^sign-cert/d' "$TOP/examples/pxe/pxe.conf" >"$T/ex.conf"
	"$RAMHOST" pxe match "$T/ex.conf" --mac 52:54:00:12:34:56 --arch 7 | grep -q '^rule: *web$'
	"$RAMHOST" pxe match "$T/ex.conf" --mac 52:54:00:00:00:01 | grep -q '^rule: *gpu$'
	"$RAMHOST" pxe match "$T/ex.conf" --mac 00:11:22:33:44:55 | grep -q '^hostname: *node-001122334455$'
}

t_case pxe_match_two_rules case_two_rules
t_case pxe_match_facts case_facts
t_case pxe_match_no_match case_no_match
t_case pxe_match_json case_json
t_case pxe_match_bad_config case_bad_config
t_case pxe_match_usage case_usage
t_case pxe_match_example_config_works example_config_works
t_exit
