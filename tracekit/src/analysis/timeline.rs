//! The heap over time, in a fixed number of slices whatever the run's length (memusagestat's
//! graph, as text): each slice keeps the most bytes live during it. When time runs past the last
//! slice, neighbouring slices merge and the slice width doubles, so the cost is O(1) per event
//! and the memory constant.
//!
//! [`HeapOverTime`] takes massif's snapshots of the heap ([`Series`]) on both of massif's time
//! axes, for `tracekit report --graph` and the massif export.

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
    #[inline]
    pub fn record(&mut self, time_ns: u64, bytes: u64) {
        let mut idx = time_ns >> self.shift;
        if idx >= SLICES as u64 {
            idx = self.widen_to(time_ns);
        }
        let s = &mut self.slices[idx as usize];
        s.max = s.max.max(bytes);
        s.last = bytes;
        s.touched = true;
    }

    /// Widens the slices until `time_ns` falls in one; returns its index.
    #[cold]
    fn widen_to(&mut self, time_ns: u64) -> u64 {
        let mut idx = time_ns >> self.shift;
        while idx >= SLICES as u64 {
            self.halve();
            idx = time_ns >> self.shift;
        }
        idx
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

/// At most this many snapshots are kept; when full, half are dropped (massif's
/// `--max-snapshots`).
pub const MAX_SNAPSHOTS: usize = 100;
/// Every this many snapshots, one is detailed (massif's `--detailed-freq`).
pub const DETAILED_FREQ: usize = 10;

/// One snapshot of the heap, as massif takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// When: in the series' unit (bytes allocated and freed so far, or ns since the start).
    pub time: u64,
    /// Bytes live.
    pub heap_bytes: u64,
    /// Sites with bytes live then (site index, bytes), most bytes first: every one in a
    /// detailed snapshot, the [`STACKED_SITES`] largest in the others (for charts).
    pub sites: Vec<(u32, u64)>,
    /// A detailed snapshot (massif prints its tree of sites).
    pub detailed: bool,
    /// The peak snapshot (detailed, with each site's share of the peak).
    pub peak: bool,
}

/// Sites kept in a snapshot that is not detailed (the largest).
pub const STACKED_SITES: usize = 16;

/// A series of snapshots on one time axis, taken as massif takes them: after every change of
/// the heap while the time since the last snapshot is at least the minimum interval (0 at
/// first); every [`DETAILED_FREQ`]th is detailed; when [`MAX_SNAPSHOTS`] are held, the half
/// that cover the shortest spans go and the minimum interval becomes the shortest gap left. So
/// the snapshots stay about evenly spread over the run, and their number and the memory they
/// hold (a detailed one lists the sites live) do not grow with the number of events.
#[derive(Debug, Clone, Default)]
pub struct Series {
    snapshots: Vec<Snapshot>,
    min_interval: u64,
    since_detailed: usize,
    /// The first time the next snapshot may be taken at: the last one's time plus the
    /// interval (0 before the first). Wider than the times so the sum cannot overflow.
    next: u128,
}

impl Series {
    /// The heap at `time` holds `heap_bytes`; `live` lists the sites' live bytes, asked only
    /// when a detailed snapshot is taken.
    #[inline]
    pub fn record(
        &mut self,
        time: u64,
        heap_bytes: u64,
        live: impl FnOnce(Option<usize>) -> Sites,
    ) {
        // Most changes come too soon after the last snapshot: one comparison says so.
        if u128::from(time) < self.next {
            return;
        }
        self.take(time, heap_bytes, live);
    }

    /// Sets [`next`](Self::next) from the last snapshot: never two snapshots of one moment (a
    /// coarse clock gives many events the same time), so the interval is at least 1.
    fn set_next(&mut self) {
        self.next = self.snapshots.last().map_or(0, |prev| {
            u128::from(prev.time) + u128::from(self.min_interval.max(1))
        });
    }

    fn take(&mut self, time: u64, heap_bytes: u64, live: impl FnOnce(Option<usize>) -> Sites) {
        let detailed = self.since_detailed == DETAILED_FREQ - 1;
        self.since_detailed = if detailed { 0 } else { self.since_detailed + 1 };
        let sites = live((!detailed).then_some(STACKED_SITES));
        self.snapshots.push(Snapshot {
            time,
            heap_bytes,
            sites,
            detailed,
            peak: false,
        });
        if self.snapshots.len() == MAX_SNAPSHOTS {
            self.cull();
        }
        self.set_next();
    }

    /// massif's `cull_snapshots`: drops half the snapshots, each time the one (neither the
    /// first nor the last) whose neighbours are closest in time.
    fn cull(&mut self) {
        for _ in 0..MAX_SNAPSHOTS / 2 {
            let s = &self.snapshots;
            let Some(j) = (1..s.len().saturating_sub(1))
                .filter(|&j| !s[j].peak)
                .min_by_key(|&j| s[j + 1].time - s[j - 1].time)
            else {
                break;
            };
            self.snapshots.remove(j);
        }
        let shortest = self
            .snapshots
            .windows(2)
            .map(|w| w[1].time - w[0].time)
            .min()
            .unwrap_or(0);
        self.min_interval = self.min_interval.max(shortest);
    }

    /// Ends the series: a last snapshot of the heap at the end (unless the last one is that),
    /// and the peak snapshot put in its place in time (`time`, `heap_bytes`, the sites'
    /// shares `detail`): it takes the place of a snapshot of the same moment and size.
    pub fn finish(
        &mut self,
        end: (u64, u64),
        end_sites: Vec<(u32, u64)>,
        peak: (u64, u64),
        detail: Vec<(u32, u64)>,
    ) {
        let (end_time, end_bytes) = end;
        if self
            .snapshots
            .last()
            .is_none_or(|l| (l.time, l.heap_bytes) != (end_time, end_bytes))
        {
            let mut sites = end_sites;
            sites.truncate(STACKED_SITES);
            self.snapshots.push(Snapshot {
                time: end_time,
                heap_bytes: end_bytes,
                sites,
                detailed: false,
                peak: false,
            });
        }
        self.set_next();
        let (time, heap_bytes) = peak;
        if heap_bytes == 0 {
            return;
        }
        let snap = Snapshot {
            time,
            heap_bytes,
            sites: detail,
            detailed: true,
            peak: true,
        };
        let at = self.snapshots.partition_point(|s| s.time <= time);
        match self.snapshots[..at]
            .iter_mut()
            .rev()
            .take_while(|s| s.time == time)
            .find(|s| s.heap_bytes == heap_bytes)
        {
            Some(same) => *same = snap,
            None => self.snapshots.insert(at, snap),
        }
        self.set_next();
    }

    /// The snapshots, oldest first.
    pub fn snapshots(&self) -> &[Snapshot] {
        &self.snapshots
    }
}

/// The heap over time on both of massif's axes of time for a heap: bytes allocated and freed
/// so far (`B`: exact whatever the clock), and ns since the start (`ms`).
#[derive(Debug, Clone)]
pub struct HeapOverTime {
    /// Bytes allocated and freed so far (massif's `B` time).
    pub churn: u64,
    /// `churn` when the peak was reached.
    pub peak_churn: u64,
    /// Snapshots by bytes allocated and freed.
    pub by_bytes: Series,
    /// Snapshots by ns.
    pub by_ns: Series,
}

impl Default for HeapOverTime {
    fn default() -> Self {
        // Both start with the empty heap at time 0, as massif's first snapshot.
        let mut start = Series::default();
        start.take(0, 0, |_| Vec::new());
        HeapOverTime {
            churn: 0,
            peak_churn: 0,
            by_bytes: start.clone(),
            by_ns: start,
        }
    }
}

impl HeapOverTime {
    /// `changed` bytes were allocated or freed at `time_ns`, leaving `heap_bytes` live (a new
    /// peak when `new_peak`); `live` lists the sites' live bytes for a detailed snapshot.
    #[inline]
    pub fn record(
        &mut self,
        changed: u64,
        time_ns: u64,
        heap_bytes: u64,
        new_peak: bool,
        live: impl Fn(Option<usize>) -> Sites,
    ) {
        self.churn = self.churn.saturating_add(changed);
        if new_peak {
            self.peak_churn = self.churn;
        }
        self.by_bytes.record(self.churn, heap_bytes, &live);
        self.by_ns.record(time_ns, heap_bytes, &live);
    }
}

/// Sites and their bytes (site index, bytes).
pub type Sites = Vec<(u32, u64)>;

/// The sites with bytes (by `bytes(site)`), most bytes first (then by site index); with a
/// `limit`, only that many of the largest (found in linear time).
pub fn live_sites(n: usize, bytes: impl Fn(usize) -> u64, limit: Option<usize>) -> Sites {
    let mut v: Sites = (0..n)
        .filter_map(|i| Some((i as u32, bytes(i))).filter(|&(_, b)| b != 0))
        .collect();
    let order = |a: &(u32, u64), b: &(u32, u64)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
    if let Some(k) = limit.filter(|&k| k < v.len()) {
        v.select_nth_unstable_by(k, order);
        v.truncate(k);
    }
    v.sort_by(order);
    v
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

    #[test]
    fn snapshots_stay_few_and_spread_and_every_tenth_is_detailed() {
        let mut s = Series::default();
        for t in 0..10_000u64 {
            s.record(t, t, |_| vec![(0, t)]);
        }
        let snaps = s.snapshots();
        assert!(
            (MAX_SNAPSHOTS / 2..MAX_SNAPSHOTS).contains(&snaps.len()),
            "{}",
            snaps.len()
        );
        // Culling keeps them about evenly spread: no gap more than a few times another.
        let gaps: Vec<u64> = snaps.windows(2).map(|w| w[1].time - w[0].time).collect();
        let (lo, hi) = (gaps.iter().min().unwrap(), gaps.iter().max().unwrap());
        assert!(*hi <= 4 * *lo, "{gaps:?}");
        assert_eq!(snaps[0].time, 0);
        // Detailed ones hold every site; the others at most STACKED_SITES.
        assert!(snaps.iter().any(|x| x.detailed));
        assert!(snaps
            .iter()
            .filter(|x| x.detailed)
            .all(|x| x.sites == [(0, x.time)]));
    }

    #[test]
    fn the_peak_snapshot_goes_in_its_place() {
        let mut s = Series::default();
        for t in [0, 10, 20, 30] {
            s.record(t, 5, |_| Vec::new());
        }
        s.finish((40, 1), vec![], (20, 5), vec![(3, 5)]);
        let times: Vec<(u64, bool)> = s.snapshots().iter().map(|x| (x.time, x.peak)).collect();
        // It replaced the snapshot of the same moment and size; the end was added.
        assert_eq!(
            times,
            [
                (0, false),
                (10, false),
                (20, true),
                (30, false),
                (40, false)
            ]
        );
        assert_eq!(s.snapshots()[2].sites, [(3, 5)]);
        let mut s = Series::default();
        s.record(0, 0, |_| Vec::new());
        s.finish((40, 0), vec![], (25, 9), vec![]);
        let times: Vec<u64> = s.snapshots().iter().map(|x| x.time).collect();
        assert_eq!(times, [0, 25, 40]);
    }

    #[test]
    fn both_axes_see_every_change() {
        let mut h = HeapOverTime::default();
        h.record(100, 5_000, 100, true, |_| vec![(0, 100)]);
        h.record(100, 9_000, 0, false, |_| Vec::new());
        assert_eq!((h.churn, h.peak_churn), (200, 100));
        let bytes: Vec<(u64, u64)> = h
            .by_bytes
            .snapshots()
            .iter()
            .map(|s| (s.time, s.heap_bytes))
            .collect();
        assert_eq!(bytes, [(0, 0), (100, 100), (200, 0)]);
        let ns: Vec<u64> = h.by_ns.snapshots().iter().map(|s| s.time).collect();
        assert_eq!(ns, [0, 5_000, 9_000]);
    }

    #[test]
    fn live_sites_keeps_the_largest_and_one_moment_makes_one_snapshot() {
        let bytes = [0, 5, 9, 1, 9, 7];
        let all = live_sites(bytes.len(), |i| bytes[i], None);
        assert_eq!(all, [(2, 9), (4, 9), (5, 7), (1, 5), (3, 1)]);
        assert_eq!(
            live_sites(bytes.len(), |i| bytes[i], Some(2)),
            [(2, 9), (4, 9)]
        );
        let mut s = Series::default();
        for b in [1, 2, 3] {
            s.record(7, b, |_| Vec::new());
        }
        assert_eq!(s.snapshots().len(), 1);
    }
}
