//! Property test: no parser or validator panics, whatever the input. A seeded xorshift
//! generator feeds random bytes (biased towards syntax characters) and mutated copies of
//! the valid example and fixture files through every format, then through validation
//! and resolution. Seeds are fixed, so a failure reproduces.

use std::path::Path;

use super::test_support::{opts, TempDir};
use super::{
    cron, dotenv, lenient_json, load, load_file, shell_words, signal, toml_format, units, yaml,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SYNTAX: &[u8] =
    b"{}[],:'\"\\/*#-=\n \t&*!|>0123456789abcxyz.eE+_\x00\xff\xc3\xa9apps script env";

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(120);
    (0..len)
        .map(|_| match rng.below(4) {
            0 => (rng.next() & 0xff) as u8,
            _ => SYNTAX[rng.below(SYNTAX.len())],
        })
        .collect()
}

fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(4) {
            0 if !out.is_empty() => {
                let end = (at + rng.below(12)).min(out.len());
                out.drain(at.min(end)..end);
            }
            1 => out.insert(at, SYNTAX[rng.below(SYNTAX.len())]),
            2 if at < out.len() => {
                let end = (at + rng.below(20)).min(out.len());
                let piece = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, piece);
            }
            _ => {
                if at < out.len() {
                    out[at] = (rng.next() & 0xff) as u8;
                }
            }
        }
    }
    out
}

/// Runs every parser on `bytes`, then checks the apps of whatever parsed.
fn exercise(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = load::utf8(bytes);
    let _ = dotenv::parse(&text);
    let _ = shell_words::split(&text);
    let _ = cron::validate_cron(&text);
    let _ = units::parse_size(&text);
    let _ = units::parse_duration_ms(&text);
    let _ = signal::parse_signal(&text);
    for tree in [
        lenient_json::parse(&text),
        yaml::parse(&text),
        toml_format::parse(&text),
    ]
    .into_iter()
    .flatten()
    {
        load::check_tree(&tree, "fuzz.json");
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        "examples/ecosystem.json",
        "examples/ecosystem.yaml",
        "examples/ecosystem.toml",
        "tests/fixtures/pm2/every-attribute.json",
        "tests/fixtures/pm2/lenient.json",
        "tests/fixtures/pm2/bare-list.yaml",
        "tests/fixtures/pm2/apps-object.yml",
        "tests/fixtures/pm2/process.toml",
    ];
    files
        .iter()
        .map(|f| std::fs::read(root.join(f)).expect("seed file"))
        .collect()
}

#[test]
fn parsers_never_panic_on_random_bytes() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..10_000 {
        exercise(&random_bytes(&mut rng));
    }
}

#[test]
fn parsers_never_panic_on_mutated_valid_files() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for seed in seeds() {
        for _ in 0..600 {
            exercise(&mutate(&mut rng, &seed));
        }
    }
}

#[test]
fn loading_mutated_files_never_panics() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let dir = TempDir::new();
    dir.script("apps/web.py");
    dir.script("apps/worker.sh");
    let o = opts(&dir.0);
    let exts = ["json", "yaml", "toml"];
    for (i, seed) in seeds().iter().take(3).enumerate() {
        for _ in 0..60 {
            let name = format!("eco.{}", exts[i]);
            std::fs::write(dir.0.join(&name), mutate(&mut rng, seed)).expect("write");
            let _ = load_file(Path::new(&name), &o);
        }
    }
}
