# apt_golden.sh: the verification records of APT fixture syncs, compared with golden files (issue 13: the
# verifier refactor must record the same checks, in the same words, as before). Source after lib.sh; the
# caller defines S (the sluice CLI with its config).
#
#   apt_golden_record NAME         append the newest snapshot's records of source fix under "## NAME"
#                                  ("(no new snapshot)" when the sync made none)
#   apt_golden_compare GOLDEN      compare everything recorded with tests/data/verify/GOLDEN;
#                                  SL_UPDATE_GOLDEN=1 rewrites the golden file instead
#
# Normalisation (run-dependent text): 64-hex digests -> <sha256>, 40-hex fingerprints -> <fpr>,
# "YYYY-MM-DD HH:MM:SS UTC" -> <date>, then every remaining digit run -> N (ports, sizes, seconds, ids).
# Within one snapshot the records are sorted (subject, check, passed, reason), so only their set counts,
# not the order the checks ran in.

APT_GOLDEN_OUT=$SL_TMP/apt_golden.records
APT_GOLDEN_LAST=0
: >"$APT_GOLDEN_OUT"

apt_golden_record() {
	local name=$1 id
	id=$(S --json snapshots fix | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s[0]["id"] if s else 0)')
	echo "## $name" >>"$APT_GOLDEN_OUT"
	if [ "$id" -le "$APT_GOLDEN_LAST" ]; then
		echo "(no new snapshot)" >>"$APT_GOLDEN_OUT"
		return 0
	fi
	APT_GOLDEN_LAST=$id
	S --json show "$id" | python3 -c '
import json, re, sys
rows = []
for v in json.load(sys.stdin)["verifications"]:
    line = "%s | %s | %s | %s" % (v["subject"], v["check"], "pass" if v["passed"] else "FAIL", v["reason"])
    line = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", line)
    line = re.sub(r"\b[0-9A-Fa-f]{40}\b", "<fpr>", line)
    line = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "<date>", line)
    line = re.sub(r"\d+", "N", line)
    rows.append(line)
print("\n".join(sorted(rows)) if rows else "(no records)")' >>"$APT_GOLDEN_OUT"
}

apt_golden_compare() {
	local golden=$SL_SOURCE_DIR/tests/data/verify/$1
	if [ "${SL_UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$(dirname "$golden")"
		cp "$APT_GOLDEN_OUT" "$golden"
		echo "golden file $golden rewritten"
		return 0
	fi
	diff -u "$golden" "$APT_GOLDEN_OUT" || sl_fail "verification records differ from $golden"
}
