//! The log pump's hot path: framing, formatting and appending one app's output.
//!
//! Compares writing 64 KiB chunks of 100-byte lines straight to a file with writing them
//! through `LineFramer` + `format_framed` + `LogFile::write` (raw, timestamped, JSON).
//! The ratio rpm/direct is the figure that matters (targets: ≥0.9 raw, ≥0.6 with
//! timestamps). Input is generated deterministically; files live in a temp dir.

use std::fs::OpenOptions;
use std::hint::black_box;
use std::io::Write;
use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rpm::logs::{
    format_framed, LineFormat, LineFramer, LogFile, Rotation, Stream, TimestampFormat,
};

const CHUNK: usize = 64 * 1024;
const CHUNKS: usize = 64;

/// 4 MiB of 100-byte lines, cut into 64 KiB chunks that end mid-line, like pipe reads.
fn input() -> Vec<u8> {
    let mut data = Vec::with_capacity(CHUNK * CHUNKS);
    let mut i = 0u64;
    while data.len() < CHUNK * CHUNKS {
        let line = format!("{i:012} GET /api/items?page={} 200 {}ms", i % 97, i % 13);
        data.extend_from_slice(format!("{line:<99}\n").as_bytes());
        i += 1;
    }
    data.truncate(CHUNK * CHUNKS);
    data
}

fn line_format(timestamp: Option<&str>, json: bool) -> LineFormat {
    LineFormat {
        app: "api".into(),
        id: 0,
        instance: 0,
        timestamp: timestamp.map(|f| TimestampFormat::parse(f).expect("valid format")),
        json,
    }
}

fn pump(c: &mut Criterion) {
    let data = input();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("log_pump");
    group.throughput(Throughput::Bytes(data.len() as u64));

    let direct_path = dir.path().join("direct.log");
    let mut direct = OpenOptions::new()
        .append(true)
        .create(true)
        .open(&direct_path)
        .expect("open");
    group.bench_function("direct_write", |b| {
        b.iter(|| {
            for chunk in data.chunks(CHUNK) {
                direct.write_all(black_box(chunk)).expect("write");
            }
            direct.set_len(0).expect("truncate");
        })
    });

    // The same bytes cut at line ends, as rpm writes them: separates the cost of
    // unaligned appends from the cost of rpm's own work.
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let end = (at + CHUNK).min(data.len());
        let cut = data[at..end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(end, |i| at + i + 1);
        cuts.push(&data[at..cut]);
        at = cut;
    }
    group.bench_function("direct_write_line_cut", |b| {
        b.iter(|| {
            for chunk in &cuts {
                direct.write_all(black_box(chunk)).expect("write");
            }
            direct.set_len(0).expect("truncate");
        })
    });

    let path = dir.path().join("rpm_raw_writev.log");
    let mut file = LogFile::open(&path, Rotation::default()).expect("open");
    let mut framer = LineFramer::new();
    group.bench_function("rpm_raw_writev", |b| {
        b.iter(|| {
            for chunk in data.chunks(CHUNK) {
                let framed = framer.push(black_box(chunk));
                file.write_split(framed.head, framed.body).expect("write");
            }
            file.truncate().expect("truncate");
        })
    });

    let shapes = [
        ("rpm_raw", line_format(None, false)),
        ("rpm_time", line_format(Some("YYYY-MM-DDTHH:mm:ss"), false)),
        (
            "rpm_time_ms",
            line_format(Some("YYYY-MM-DD HH:mm:ss.SSS Z"), false),
        ),
        ("rpm_json", line_format(None, true)),
    ];
    for (name, fmt) in shapes {
        let path = dir.path().join(format!("{name}.log"));
        let mut file = LogFile::open(&path, Rotation::default()).expect("open");
        let mut framer = LineFramer::new();
        let mut buf = Vec::with_capacity(2 * CHUNK);
        group.bench_function(name, |b| {
            b.iter(|| {
                for chunk in data.chunks(CHUNK) {
                    buf.clear();
                    let framed = framer.push(black_box(chunk));
                    format_framed(&mut buf, &framed, &fmt, Stream::Out, SystemTime::now());
                    file.write(&buf).expect("write");
                }
                file.truncate().expect("truncate");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pump);
criterion_main!(benches);
