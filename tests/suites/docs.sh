# SPDX-License-Identifier: GPL-2.0
# The documentation's commands, in the VM (tests/docs guest): README.md and docs/*.md.

docs_out=$(python3 tests/docs guest 2>&1)
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	"#"*) printf '%s\n' "$line" ;;
	esac
done <<<"$docs_out"
grep -qE '^[0-9]+ passed, [0-9]+ failed$' <<<"$docs_out" ||
	not_ok "docs: tests/docs ran to its end" "$(tail -n 20 <<<"$docs_out")"
