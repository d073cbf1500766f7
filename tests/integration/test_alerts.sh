#!/usr/bin/env bash
# Alerts: a webhook receiver and an SMTP server (Debian's python3-aiosmtpd) on loopback receive the
# "pending" and the "malware" alerts of a sync that brings a .deb carrying the EICAR test file (scanned
# with ClamAV's own signed test database, ../shared/fixtures/clamav/test-6.cvd); the webhook document has a
# readable "text" and the structured fields. With both receivers dead the same sync completes as before,
# and the failed delivery is recorded (sluice sources: waiting, last error) for sluice-syncd to retry.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"

fx=${SL_SOURCE_DIR:-$here/../..}/../shared/fixtures/clamav
[ -r "$fx/test-6.cvd" ] || sl_skip "no ClamAV fixtures at $fx (../shared/fixtures/clamav)"
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || sl_skip "python3-aiosmtpd is not installed"

www=$SL_TMP/www
mkdir -p "$www/clamav"
cp -f "$fx/test-6.cvd" "$www/clamav/test.cvd"
chmod -R u+w "$www"
APT_DEBS=$SL_TMP/debs
w=$SL_TMP/build
mkdir -p "$w/DEBIAN" "$w/usr/share/doc/evil" "$APT_DEBS"
printf 'Package: evil\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@sluice.invalid>\nDescription: alert fixture\n' \
	>"$w/DEBIAN/control"
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$w/usr/share/doc/evil/eicar.com"
dpkg-deb -Zxz --root-owner-group --build "$w" "$APT_DEBS/evil_1.0_all.deb" >/dev/null
apt_fixture_key upstream
sl_on_cleanup apt_fixture_keys_cleanup
apt_fixture_repo "$www/apt" stable
apt_fixture_release "$www/apt" stable "$(apt_date -3600)"
apt_fixture_sign "$www/apt" stable upstream
sl_start_nginx "$www"

hook_port=$(sl_free_port)
smtp_port=$(sl_free_port)
sl_start_bg "$SL_TMP/hook.log" /usr/bin/python3 "$here/webhook_receiver.py" "$hook_port" "$SL_TMP/hook.jsonl"
sl_start_bg "$SL_TMP/smtp.log" /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
	-c aiosmtpd.handlers.Mailbox "$SL_TMP/mbox"
sl_wait_port "$hook_port" 10 || sl_fail "webhook receiver did not start"
sl_wait_port "$smtp_port" 10 || sl_fail "aiosmtpd did not start"

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
write_conf() {   # WEBHOOK-PORT SMTP-PORT
	cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[scan]
clamav_source = av
[alert]
webhook = http://127.0.0.1:$1/hook
smtp = smtp://127.0.0.1:$2
mail_from = sluice@sluice.invalid
mail_to = ops@sluice.invalid
[source av]
type = clamav
url = http://127.0.0.1:$SL_NGINX_PORT/clamav
databases = test
[source deb]
type = apt
url = http://127.0.0.1:$SL_NGINX_PORT/apt
suites = stable
components = main
architectures = $APT_ARCH
keyring = $APT_KEYS/upstream.gpg
CONF
}
S() { "$SL_ADMIN" -c "$conf" "$@"; }
write_conf "$hook_port" "$smtp_port"
S init >/dev/null
S sync av >/dev/null 2>&1 || sl_fail "sync of the ClamAV source failed"
S sync deb >"$SL_TMP/sync.out" 2>&1 || true
grep -q "1 finding(s), 1 undecided" "$SL_TMP/sync.out" || sl_fail "sync: $(cat "$SL_TMP/sync.out")"
python3 - "$SL_TMP/hook.jsonl" <<'PY' || sl_fail "webhook: pending and malware alerts not received as expected"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
ev = {d["event"]: d for d in docs}
assert "pending" in ev and "malware" in ev, [d["event"] for d in docs]
m = ev["malware"]
assert m["source"] == "deb" and m["malware"] == 1 and "Eicar-Test-Signature" in m["text"], m
p = ev["pending"]
assert p["findings_undecided"] == 1 and "BLOCKING" in p["text"] and p["snapshot"] > 0, p
PY
# aiosmtpd's Mailbox handler keeps a Maildir: one file per message.
n=$(grep -l '^Subject: \[sluice\]' "$SL_TMP"/mbox/new/* 2>/dev/null | wc -l)
[ "$n" -ge 2 ] || sl_fail "SMTP: expected the pending and malware mails, got $n"
grep -q '^Subject: \[sluice\] malware: deb' "$SL_TMP"/mbox/new/* || sl_fail "no malware mail"
grep -q 'Eicar-Test-Signature' "$SL_TMP"/mbox/new/* || sl_fail "the malware mail does not name the signature"
S sources | grep -q "alerts .* delivered" || sl_fail "sources does not show alert deliveries"

# ---- dead receivers: the sync still completes, the delivery failure is recorded and waits for a retry
dead1=$(sl_free_port)
dead2=$(sl_free_port)
write_conf "$dead1" "$dead2"
apt_fixture_release "$www/apt" stable "$(apt_date -1800)"
apt_fixture_sign "$www/apt" stable upstream
S sync deb >"$SL_TMP/sync2.out" 2>&1 || true
grep -q "pending approval" "$SL_TMP/sync2.out" || sl_fail "with dead receivers the sync did not complete: $(cat "$SL_TMP/sync2.out")"
grep -q "not (retried later" "$SL_TMP/sync2.out" || sl_fail "the failed delivery was not reported"
S sources | grep -q "waiting; last error: webhook: " || sl_fail "sources does not show the delivery error: $(S sources)"
sl_log "ok"
