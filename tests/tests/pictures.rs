//! `tracekit report --svg FILE --html FILE` on a real run's log, rendered by headless Chromium:
//! the page's DOM must hold the chart (stacked site areas, the total line, the peak's label
//! with the report's peak) and the flame graphs' frames with the program's function names; the
//! SVG file must parse as a document. The screenshots are kept under
//! `target/<profile>/test-artefacts/` to be looked at.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use tracekit_e2e::{
    example, require_tool, run, run_limited, stderr, stdout, target_dir, tempdir, tracekit,
};

fn chromium(args: &[&str], url: &Path) -> Output {
    run_limited(
        Command::new("chromium")
            .args(["--headless=new", "--no-sandbox", "--disable-gpu"])
            .args(args)
            .arg(format!("file://{}", url.display())),
        Duration::from_secs(120),
    )
}

#[test]
fn svg_and_html_render_in_chromium_with_the_chart_and_flame_graphs() {
    let dir = tempdir();
    let log = dir.path().join("heap_known.tklog");
    let out = run(tracekit()
        .arg("heap")
        .arg("-q")
        .arg("--report")
        .arg(dir.path().join("report.txt"))
        .arg("-o")
        .arg(&log)
        .arg("--")
        .arg(example("heap_known")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (svg, html) = (dir.path().join("heap.svg"), dir.path().join("heap.html"));
    let out = run(tracekit()
        .arg("report")
        .arg("--json")
        .arg("--svg")
        .arg(&svg)
        .arg("--html")
        .arg(&html)
        .arg(&log));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let peak = report["peak"]["heap_bytes"].as_u64().unwrap();
    assert_eq!(peak, 100_000);

    require_tool!("chromium");
    let dom = chromium(&["--dump-dom"], &html);
    assert!(dom.status.success(), "{}", stderr(&dom));
    let dom = stdout(&dom);
    for needle in [
        "class=\"heap-chart\"",
        "<path class=\"site\"",
        "<path class=\"total\"",
        "class=\"peak-label\"",
        "peak 97.7 KiB (100,000 B)",
        // The flame graphs' frames, by function name (inferno titles each frame).
        "<title>many_small (",
        "<title>main (",
        "<title>growth_chain (",
        // The leak flame graph holds heap_known's leaks: one block, three callocs.
        "<title>one_leak (4,096 bytes,",
        "<title>some_callocs (1,500 bytes,",
        "Bytes leaked (live at the end), by call stack",
    ] {
        assert!(dom.contains(needle), "no {needle:?} in the page:\n{dom}");
    }
    // Each flame graph weighs what the report counts: bytes allocated, the peak, the leaks.
    let num = |key: &str| report[key].as_u64().unwrap();
    let totals: Vec<u64> = dom
        .split("total_samples=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect();
    let leaked = report["leaked"]["bytes"].as_u64().unwrap();
    assert_eq!(totals, [num("bytes_allocated"), peak, leaked], "{dom}");
    // The stacked areas name the sites.
    assert!(dom.contains("<title>many_small (heap_known.c:"), "{dom}");

    let svg_dom = chromium(&["--dump-dom"], &svg);
    let svg_dom = stdout(&svg_dom);
    assert!(!svg_dom.contains("error on line"), "{svg_dom}");
    assert!(svg_dom.contains("class=\"peak-label\""), "{svg_dom}");

    // Screenshots, kept for a person to look at.
    let artefacts = target_dir().join("test-artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    for (page, name) in [(&html, "heap_known.html.png"), (&svg, "heap_known.svg.png")] {
        let png = artefacts.join(name);
        let _ = std::fs::remove_file(&png);
        let shot = chromium(
            &[
                &format!("--screenshot={}", png.display()),
                "--window-size=1200,900",
            ],
            page,
        );
        assert!(shot.status.success(), "{}", stderr(&shot));
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", png.display());
    }
}
