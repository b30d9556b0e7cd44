#!/usr/bin/env bash
# Print the path of a Python >= 3.12: python3.13, python3.12, then pyenv's installed versions.
# Exits 1 with a clear message when there is none.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for cand in python3.13 python3.12 python3; do
    if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then
        "$cand" -c 'import sys; print(sys.executable)'; exit 0
    fi
done
if command -v pyenv >/dev/null 2>&1 || [ -d "${PYENV_ROOT:-$HOME/.pyenv}/versions" ]; then
    root="${PYENV_ROOT:-$HOME/.pyenv}"
    for dir in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -V -r); do
        for exe in "$dir"/bin/python3.1[2-9] "$dir"/bin/python3; do
            if [ -x "$exe" ] && ok "$exe"; then echo "$exe"; exit 0; fi
        done
    done
fi
echo "steadyscale setup: no Python >= 3.12 found (looked for python3.13, python3.12, python3 and" \
     "pyenv versions under ${PYENV_ROOT:-$HOME/.pyenv}/versions). Install one, e.g. 'pyenv install 3.12'." >&2
exit 1
