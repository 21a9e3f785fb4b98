#!/usr/bin/env bash
# Builds rpm's distro packages from a built binary, offline, with the distro's own tools:
#
#   packaging/build.sh deb [--binary PATH] [--out DIR]   # dpkg-deb: Debian, Ubuntu
#   packaging/build.sh rpm [--binary PATH] [--out DIR]   # rpmbuild: Fedora, RHEL, SUSE
#   packaging/build.sh brew [--out DIR]                  # Homebrew: source tarball + formula
#
# The binary defaults to the release build (cargo build --release --locked); the package
# goes to target/packages/ unless --out says otherwise, and its path is the last line
# printed. `brew` needs no binary: it makes a source tarball of git HEAD and the formula
# (packaging/homebrew/rpm-pm.rb) pointing at it. Both packages are named rpm-pm. The .deb installs the command as `rpm`; the
# .rpm installs it as `rpmpm`, because Fedora, RHEL and SUSE ship the RPM package manager
# as /usr/bin/rpm and keep its database in /var/lib/rpm (see README, "Install").
#
# The staged binary itself writes the completions and man pages, run under the name it is
# installed as, so they are named for that command and in step with the CLI. Neither
# package has maintainer scripts: installing starts nothing (enable the service yourself).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"

usage() {
  echo "usage: packaging/build.sh deb|rpm|brew [--binary PATH] [--out DIR]" >&2
  exit 2
}

[ $# -ge 1 ] || usage
format="$1"
shift
binary="$repo/target/x86_64-unknown-linux-gnu/release/rpm"
out="$repo/target/packages"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || usage; binary="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
    *) usage ;;
  esac
done
case "$format" in
  deb) tool=dpkg-deb ;;
  rpm) tool=rpmbuild ;;
  brew) tool=git ;;
  *) usage ;;
esac

fail() {
  echo "error: $*" >&2
  exit 1
}

# The formula builds from source: a tarball of what is committed, and the formula with
# its URL and checksum filled in. Homebrew takes the version from the tarball's name.
build_brew() {
  command -v git >/dev/null || fail "git is not installed: the tarball is made with git archive"
  git -C "$repo" rev-parse --verify -q HEAD >/dev/null ||
    fail "$repo is not a git checkout with a commit: the tarball is made from HEAD"
  local version
  version="$(git -C "$repo" show HEAD:Cargo.toml | sed -n 's/^version = "\(.*\)"$/\1/p' | head -n 1)"
  [ -n "$version" ] || fail "no version in Cargo.toml at HEAD"
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
  local tarball="$out/rpm-pm-$version.tar.gz"
  git -C "$repo" archive --format=tar.gz --prefix="rpm-pm-$version/" -o "$tarball" HEAD
  local sum
  sum="$(sha256sum "$tarball" | cut -d' ' -f1)"
  sed -e "s#@URL@#file://$tarball#" -e "s#@SHA256@#$sum#" \
    "$here/homebrew/rpm-pm.rb" >"$out/rpm-pm.rb"
  grep -q '@[A-Z0-9]*@' "$out/rpm-pm.rb" && fail "$out/rpm-pm.rb: a @FIELD@ is left unfilled"
  echo "$out/rpm-pm.rb"
}
if [ "$format" = brew ]; then
  build_brew
  exit 0
fi

[ -x "$binary" ] || fail "no rpm binary at $binary: build it with \`cargo build --release --locked\`, or pass --binary PATH"
command -v "$tool" >/dev/null ||
  fail "$tool is not installed: it builds the .$format package (Debian: apt-get install $([ "$format" = deb ] && echo dpkg || echo rpm))"

# "rpm 0.1.0" -> 0.1.0: the version is the one the binary reports.
version="$("$binary" --version | awk '{print $2}')"
[ -n "$version" ] || fail "$binary --version printed no version"

package=rpm-pm
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/rpm-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"

# Lays out the files shared by both packages under $root for the command $1:
#   $2 the systemd unit directory, $3 bash's, $4 zsh's, $5 fish's completion directory.
stage() {
  local cmd="$1" unit_dir="$2" bash_dir="$3" zsh_dir="$4" fish_dir="$5"
  install -D -m 0755 "$binary" "$root/usr/bin/$cmd"
  local staged="$root/usr/bin/$cmd"

  install -d -m 0755 "$root$bash_dir" "$root$zsh_dir" "$root$fish_dir"
  "$staged" completions bash >"$root$bash_dir/$(bash_file "$cmd")"
  "$staged" completions zsh >"$root$zsh_dir/_$cmd"
  "$staged" completions fish >"$root$fish_dir/$cmd.fish"

  local man="$root/usr/share/man/man1"
  "$staged" man-pages "$man" >/dev/null
  gzip -9n "$man"/*.1

  install -d -m 0755 "$root$unit_dir"
  render_unit "$cmd" >"$root$unit_dir/$cmd.service"
}

# The system-wide unit for the command $1. The .deb ships packaging/systemd/rpm.service
# as it is; for another command name, the binary, its man page and RPM_HOME follow the
# name (/var/lib/rpm is the RPM database on the distros that use another name).
render_unit() {
  local cmd="$1" unit="$here/systemd/rpm.service"
  [ -f "$unit" ] || fail "$unit is missing"
  grep -qx 'ExecStart=/usr/bin/rpm daemon --foreground --resurrect' "$unit" ||
    fail "$unit: no line \`ExecStart=/usr/bin/rpm daemon --foreground --resurrect\`"
  grep -qx 'Environment=RPM_HOME=/var/lib/rpm' "$unit" ||
    fail "$unit: no line \`Environment=RPM_HOME=/var/lib/rpm\`"
  if [ "$cmd" = rpm ]; then
    cat "$unit"
  else
    sed -e "s#^ExecStart=/usr/bin/rpm #ExecStart=/usr/bin/$cmd #" \
      -e "s#^Environment=RPM_HOME=/var/lib/rpm\$#Environment=RPM_HOME=/var/lib/$cmd#" \
      -e "s#man:rpm(1)#man:$cmd(1)#g" "$unit"
  fi
}

# bash-completion's own package owns completions/rpm (for the RPM package manager), so
# the .deb cannot put a file there; see build_deb.
bash_file() {
  if [ "$1" = rpm ]; then echo rpm-pm; else echo "$1"; fi
}

description_summary="process manager for any language: PM2's verbs, systemd's rigour"

build_deb() {
  # Debian's zsh and fish look in their vendor folders before their own completions
  # (which include the RPM package manager's _rpm and rpm.fish), so these win. bash's
  # lazy loader would find bash-completion's completions/rpm first: the script goes to
  # the folder bash-completion sources at start-up instead, which defines `rpm`'s
  # completion before the loader is ever asked.
  stage rpm /lib/systemd/system /etc/bash_completion.d \
    /usr/share/zsh/vendor-completions /usr/share/fish/vendor_completions.d
  local doc="$root/usr/share/doc/$package"
  install -D -m 0644 "$repo/README.md" "$doc/README.md"
  gzip -9n "$doc/README.md"
  {
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: rpm"
    echo
    echo "Files: *"
    echo "License: MIT"
    sed -e 's/^$/./' -e 's/^/ /' "$repo/LICENSE"
  } >"$doc/copyright"
  chmod 0644 "$doc/copyright"

  local arch
  arch="$(dpkg --print-architecture)"
  install -d -m 0755 "$root/DEBIAN"
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
    xargs -0 md5sum) >"$root/DEBIAN/md5sums"
  echo "/etc/bash_completion.d/rpm-pm" >"$root/DEBIAN/conffiles"
  cat >"$root/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: $arch
Maintainer: ${RPM_PACKAGE_MAINTAINER:-rpm developers}
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Section: admin
Priority: optional
Conflicts: rpm
Description: $description_summary
 rpm keeps apps running: it restarts them when they crash, runs several
 instances behind one listening socket, reloads them with zero downtime,
 writes their logs and brings them back after a reboot. It reads PM2
 ecosystem files and answers PM2's commands.
 .
 The command is rpm; it conflicts with Debian's rpm package (the RPM
 package manager), which also installs /usr/bin/rpm.
EOF
  local deb="$out/${package}_${version}_${arch}.deb"
  # RPM_PACKAGE_FAST=1 (the tests): quick gzip instead of xz, same contents.
  local compress=()
  [ "${RPM_PACKAGE_FAST:-}" = 1 ] && compress=(-Zgzip -z1)
  dpkg-deb --root-owner-group "${compress[@]}" --build "$root" "$deb" >/dev/null
  echo "$deb"
}

build_rpm() {
  stage rpmpm /usr/lib/systemd/system /usr/share/bash-completion/completions \
    /usr/share/zsh/site-functions /usr/share/fish/vendor_completions.d
  install -D -m 0644 "$repo/README.md" "$root/usr/share/doc/$package/README.md"
  install -D -m 0644 "$repo/LICENSE" "$root/usr/share/licenses/$package/LICENSE"

  local arch
  arch="$(uname -m)"
  local files
  files="$(cd "$root" && find . -type f -printf '/%P\n' | sort)"
  mkdir -p "$work/topdir"
  cat >"$work/rpm-pm.spec" <<EOF
Name: $package
Version: $version
Release: 1
Summary: A $description_summary
License: MIT
BuildArch: $arch
# A static binary: nothing to require, and nothing it provides to others.
AutoReqProv: no
# The payload is staged and compressed already: no stripping, no debuginfo, no
# build-id links, no recompression.
%define __os_install_post %{nil}
%define debug_package %{nil}
%define _build_id_links none

%description
rpm keeps apps running: it restarts them when they crash, runs several
instances behind one listening socket, reloads them with zero downtime,
writes their logs and brings them back after a reboot. It reads PM2
ecosystem files and answers PM2's commands. The command is rpmpm: rpm is
the RPM package manager's name here.

%install
cp -a "$root/." "%{buildroot}/"

%files
%defattr(-,root,root,-)
%dir /usr/share/doc/$package
%dir /usr/share/licenses/$package
$files
EOF
  local payload=()
  [ "${RPM_PACKAGE_FAST:-}" = 1 ] && payload=(--define "_binary_payload w1.gzdio")
  rpmbuild -bb --quiet "${payload[@]}" \
    --define "_topdir $work/topdir" \
    --define "_rpmdir $out" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    "$work/rpm-pm.spec" >"$work/rpmbuild.log" 2>&1 ||
    { cat "$work/rpmbuild.log" >&2; fail "rpmbuild failed (its output is above)"; }
  echo "$out/$package-$version-1.$arch.rpm"
}

"build_$format"
