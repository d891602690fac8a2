# Sourced by the install scripts that unpack Debian packages instead of installing them.
# fetch_debs DIR PKG...: the candidate .deb of each PKG, in DIR, downloaded once into a cache
# kept outside the checkout (${XDG_CACHE_HOME:-~/.cache}/ebpf-frameworks/debs), so that a new
# clone does not download a kernel again.
fetch_debs() {
  local dir=$1 cache=${XDG_CACHE_HOME:-$HOME/.cache}/ebpf-frameworks/debs pkg file
  shift
  mkdir -p "$dir" "$cache"
  for pkg in "$@"; do
    file=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's|^Filename: .*/||p' | head -1)
    [ -n "$file" ] || { echo "Debian serves no package $pkg" >&2; return 1; }
    if [ ! -s "$cache/$file" ]; then
      (cd "$cache" && apt-get download -qq "$pkg" 2>/dev/null) || { echo "apt-get download $pkg failed" >&2; return 1; }
    fi
    [ -s "$cache/$file" ] || { echo "apt-get download $pkg gave no $file" >&2; return 1; }
    cp "$cache/$file" "$dir/"
  done
}
