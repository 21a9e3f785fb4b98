# Homebrew formula for rpm, the process manager, built from source with cargo.
#
# A template: `packaging/build.sh brew` fills in the source tarball it makes from the
# repository's HEAD (its file:// URL and SHA-256) and writes the formula to
# target/packages/rpm-pm.rb. A release replaces the URL with the release tarball's.
#
# Named rpm-pm because homebrew-core's formula `rpm` is the RPM package manager, which
# installs a `rpm` command too. rpm supervises with Linux interfaces (pidfd, epoll,
# prctl, /proc), so the formula is for Homebrew on Linux.
class RpmPm < Formula
  desc "Process manager for any language: PM2's verbs, systemd's rigour"
  url "@URL@"
  sha256 "@SHA256@"
  license "MIT"

  depends_on "rust" => :build
  depends_on :linux

  conflicts_with "rpm", because: "both install an `rpm` binary"

  def install
    system "cargo", "install", *std_cargo_args
    # `rpm completions <shell>` and `rpm man-pages DIR`, generated from the CLI itself.
    generate_completions_from_executable(bin/"rpm", "completions", base_name: "rpm")
    system bin/"rpm", "man-pages", man1
    doc.install "README.md"
  end

  test do
    assert_equal "rpm #{version}\n", shell_output("#{bin}/rpm --version")
    ENV["RPM_HOME"] = (testpath/"rpm-home").to_s
    assert_match "pong: daemon #{version}", shell_output("#{bin}/rpm ping")
    assert_match "daemon stopped", shell_output("#{bin}/rpm kill")
  end
end
