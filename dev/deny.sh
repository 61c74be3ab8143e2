#!/usr/bin/env bash
# Licenses and duplicate crates: `cargo deny check licenses bans` against deny.toml.
# Installs cargo-deny first when it is missing (built from crates.io: needs network to
# crates.io, and about 7 minutes of CPU; see CONTRIBUTING.md). The advisories check is left
# out: its database is fetched from GitHub, which these machines cannot reach.
#
#   dev/deny.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_DENY_VERSION=0.20.2
if ! cargo deny --version >/dev/null 2>&1; then
    echo "deny: installing cargo-deny $CARGO_DENY_VERSION from crates.io"
    cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
fi
cargo deny check licenses bans
