//! `--write FILE`: the generated part of BENCHMARKS.md (command, date, machine, load, tables),
//! spliced between two marker comments so the hand-written notes around it are kept.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const BEGIN: &str = "<!-- bench-card:begin";
pub const END: &str = "<!-- bench-card:end -->";

/// `YYYY-MM-DD HH:MM UTC` for `t`.
pub fn utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` shows them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// CPU model and core count.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores available")
}

/// Replaces the marked block of `path` with `block` (creating the file if it is missing).
pub fn splice(path: &Path, block: &str) -> Result<(), String> {
    let old = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{block}{}", &old[..b], &old[e + END.len()..])
        }
        _ if old.trim().is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => {
            return Err(format!(
                "{} has no `{BEGIN} -->` … `{END}` markers: add them where the generated \
                 bench card belongs",
                path.display()
            ))
        }
    };
    std::fs::write(path, new).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01 00:00 UTC");
        // 2026-11-26 08:36:09 UTC.
        let t = UNIX_EPOCH + Duration::from_secs(1_795_682_169);
        assert_eq!(utc(t), "2026-11-26 08:36 UTC");
    }

    #[test]
    fn splice_replaces_only_the_marked_block() {
        let dir = std::env::temp_dir().join(format!("bench_card_splice_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("B.md");
        let old = format!("# T\n\nintro\n{BEGIN} x -->\nold card\n{END}\n\nnotes\n");
        std::fs::write(&path, old).unwrap();
        splice(&path, &format!("{BEGIN} -->\nnew card\n{END}")).unwrap();
        let got = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            got,
            format!("# T\n\nintro\n{BEGIN} -->\nnew card\n{END}\n\nnotes\n")
        );
        std::fs::write(&path, "# T\nno markers\n").unwrap();
        assert!(splice(&path, "x").unwrap_err().contains("markers"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
