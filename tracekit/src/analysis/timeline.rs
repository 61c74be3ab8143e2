//! The heap over time, in a fixed number of slices whatever the run's length (memusagestat's
//! graph, as text): each slice keeps the most bytes live during it. When time runs past the last
//! slice, neighbouring slices merge and the slice width doubles, so the cost is O(1) per event
//! and the memory constant.

/// Number of slices.
pub const SLICES: usize = 64;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slice {
    max: u64,
    last: u64,
    touched: bool,
}

/// Heap size over time.
#[derive(Debug, Clone)]
pub struct Timeline {
    slices: [Slice; SLICES],
    /// log2 of the slice width in ns.
    shift: u32,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            slices: [Slice::default(); SLICES],
            // 1 µs slices to start with.
            shift: 10,
        }
    }
}

impl Timeline {
    /// Records that `bytes` were live at `time_ns`.
    pub fn record(&mut self, time_ns: u64, bytes: u64) {
        let mut idx = time_ns >> self.shift;
        while idx >= SLICES as u64 {
            self.halve();
            idx = time_ns >> self.shift;
        }
        let s = &mut self.slices[idx as usize];
        s.max = s.max.max(bytes);
        s.last = bytes;
        s.touched = true;
    }

    fn halve(&mut self) {
        for i in 0..SLICES / 2 {
            let (a, b) = (self.slices[2 * i], self.slices[2 * i + 1]);
            self.slices[i] = Slice {
                max: a.max.max(b.max),
                last: if b.touched { b.last } else { a.last },
                touched: a.touched || b.touched,
            };
        }
        for s in &mut self.slices[SLICES / 2..] {
            *s = Slice::default();
        }
        self.shift += 1;
    }

    /// Width of a slice in ns.
    pub fn slice_ns(&self) -> u64 {
        1 << self.shift
    }

    /// The most bytes live in each slice, up to the last slice with an event; a slice without
    /// events shows the level the previous one ended at.
    pub fn maxima(&self) -> Vec<u64> {
        let used = self
            .slices
            .iter()
            .rposition(|s| s.touched)
            .map_or(0, |i| i + 1);
        let mut level = 0;
        self.slices[..used]
            .iter()
            .map(|s| {
                if s.touched {
                    let m = s.max.max(level);
                    level = s.last;
                    m
                } else {
                    level
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_merge_as_time_goes_on() {
        let mut t = Timeline::default();
        t.record(0, 10);
        t.record(1 << 10, 30);
        t.record(2 << 10, 5);
        // Slice 2 started with 30 live, before the event that brought it to 5.
        assert_eq!(t.maxima(), [10, 30, 30]);
        assert_eq!(t.slice_ns(), 1024);
        // Past the 64th slice: widths double until it fits, maxima are kept.
        t.record(200 << 10, 7);
        assert_eq!(t.slice_ns(), 4096);
        let m = t.maxima();
        assert_eq!(m[0], 30);
        assert_eq!(m.len(), 51);
        // Slices without events carry the level the last event left (5), then 7.
        assert!(m[1..50].iter().all(|&x| x == 5), "{m:?}");
        assert_eq!(m[50], 7);
    }

    #[test]
    fn a_slice_starting_higher_keeps_the_carried_level() {
        let mut t = Timeline::default();
        t.record(0, 100);
        // Freed down to 0 in slice 2: its max must still show the 100 live at its start.
        t.record(2 << 10, 0);
        assert_eq!(t.maxima(), [100, 100, 100]);
    }
}
