//! ltrace's `-c` table: calls and time per library function, from ltrace-rs's own counts or
//! from the `LibCall` events of its `--log` (`tracekit report`).

use std::io::{self, Write};
use std::time::Duration;

/// Per-function totals.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    rows: Vec<(String, u64, Duration)>,
}

impl Summary {
    /// Counts one call of `name` that took `spent`.
    pub fn add(&mut self, name: &str, spent: Duration) {
        match self.rows.iter_mut().find(|r| r.0 == name) {
            Some(r) => {
                r.1 += 1;
                r.2 += spent;
            }
            None => self.rows.push((name.to_owned(), 1, spent)),
        }
    }

    /// Counts `calls` calls of `name` that took `spent` in all.
    pub fn add_many(&mut self, name: &str, calls: u64, spent: Duration) {
        match self.rows.iter_mut().find(|r| r.0 == name) {
            Some(r) => {
                r.1 += calls;
                r.2 += spent;
            }
            None => self.rows.push((name.to_owned(), calls, spent)),
        }
    }

    /// The calls counted per function.
    pub fn counts(&self) -> Vec<(String, u64)> {
        self.rows.iter().map(|r| (r.0.clone(), r.1)).collect()
    }

    /// ltrace's `-c` table, most time first.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut rows = self.rows.clone();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        let total: Duration = rows.iter().map(|r| r.2).sum();
        let calls: u64 = rows.iter().map(|r| r.1).sum();
        writeln!(
            out,
            "% time     seconds  usecs/call     calls      function"
        )?;
        let rule = "------ ----------- ----------- --------- --------------------";
        writeln!(out, "{rule}")?;
        for (name, n, spent) in &rows {
            let pct = if total.is_zero() {
                0.0
            } else {
                spent.as_secs_f64() * 100.0 / total.as_secs_f64()
            };
            let us = spent.as_micros() as u64 / n;
            writeln!(
                out,
                "{pct:6.2} {:11.6} {us:11} {n:9} {name}",
                spent.as_secs_f64()
            )?;
        }
        writeln!(out, "{rule}")?;
        writeln!(
            out,
            "100.00 {:11.6}             {calls:9} total",
            total.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_table_has_ltraces_columns() {
        let mut s = Summary::default();
        s.add("puts", Duration::from_micros(300));
        s.add("strlen", Duration::from_micros(50));
        s.add("strlen", Duration::from_micros(50));
        let mut out = Vec::new();
        s.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "% time     seconds  usecs/call     calls      function\n\
             ------ ----------- ----------- --------- --------------------\n \
             75.00    0.000300         300         1 puts\n \
             25.00    0.000100          50         2 strlen\n\
             ------ ----------- ----------- --------- --------------------\n\
             100.00    0.000400                     3 total\n"
        );
    }
}
