#!/usr/bin/env bash
# actionlint, the GitHub Actions workflow checker the tests run over .github/workflows/, built
# from the Go module proxy (its PyPI wrapper downloads the binary from elsewhere at install).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=v1.7.12
bin=$repo/.deps/bin
if [ -x "$bin/actionlint" ] && [ "$("$bin/actionlint" --version | head -1)" = "$version" ]; then
  echo "actionlint $version already at $bin"
  exit 0
fi
mkdir -p "$bin"
GOTOOLCHAIN=local GOBIN=$bin go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
echo "actionlint $version installed at $bin"
