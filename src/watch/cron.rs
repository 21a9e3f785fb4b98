//! When a `cron_restart` schedule fires next: [`next_after`] for the machine's local time,
//! over [`next_after_in`] for any `chrono` time zone (tests use fixed and fake DST zones).
//! Parsing the expression is `config::cron`'s job; arming a timer is the supervisor's.
//! Pure and clock-free: the caller passes "now", so the supervisor thread calls it inline.
//!
//! The search steps field by field over local wall-clock time (next matching month, then
//! day, hour, minute, second), so even a rare schedule costs a few hundred steps a year.
//! Each candidate wall-clock time is then mapped to a real instant: one that does not exist
//! (clocks spring forward) is skipped for the next matching time that does, and one that
//! happens twice (clocks fall back) fires once, at its first occurrence.

use chrono::{DateTime, Datelike, Local, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike};

use crate::config::CronExpr;

/// How far ahead to look. The Gregorian calendar repeats every 400 years (146097 days, a
/// whole number of weeks), so a schedule with no match in that window never matches.
const HORIZON_YEARS: i32 = 400;

/// The first time `expr` fires strictly after `after`, in the machine's local time zone;
/// `None` when it never fires (e.g. `0 0 31 2 *`).
pub fn next_after(expr: &CronExpr, after: DateTime<Local>) -> Option<DateTime<Local>> {
    next_after_in(expr, &after)
}

/// The first time `expr` fires strictly after `after`, reading the expression as wall-clock
/// time in `after`'s time zone. A wall-clock time skipped by a daylight-saving jump does
/// not fire (the next matching one that exists does); a repeated one fires at its first
/// occurrence only. `None` when no time in the next 400 years matches, which means none
/// ever will.
pub fn next_after_in<Tz: TimeZone>(expr: &CronExpr, after: &DateTime<Tz>) -> Option<DateTime<Tz>> {
    let zone = after.timezone();
    let start = after.naive_local().with_nanosecond(0)?;
    let limit_year = start.year().saturating_add(HORIZON_YEARS);
    let mut from = start.checked_add_signed(TimeDelta::seconds(1))?;
    loop {
        let wall = next_wall_time(expr, from, limit_year)?;
        if let Some(at) = zone.from_local_datetime(&wall).earliest() {
            // An earlier first occurrence means this wall time already had its turn.
            if at > *after {
                return Some(at);
            }
        }
        from = wall.checked_add_signed(TimeDelta::seconds(1))?;
    }
}

/// The first wall-clock time at or after `from` that `expr` matches, up to the end of
/// `limit_year`. A field with no match left carries into the next larger one and restarts
/// the smaller ones at their minimum, as an odometer does.
fn next_wall_time(expr: &CronExpr, from: NaiveDateTime, limit_year: i32) -> Option<NaiveDateTime> {
    let (mut year, mut month, mut day) = (from.year(), from.month(), from.day());
    let (mut hour, mut minute, mut second) = (from.hour(), from.minute(), from.second());
    loop {
        if year > limit_year {
            return None;
        }
        match expr.next_month(month) {
            None => {
                (year, month, day, hour, minute, second) = (year + 1, 1, 1, 0, 0, 0);
                continue;
            }
            Some(m) if m != month => (month, day, hour, minute, second) = (m, 1, 0, 0, 0),
            Some(_) => {}
        }
        match next_day(expr, year, month, day) {
            None => {
                (month, day, hour, minute, second) = (month + 1, 1, 0, 0, 0);
                continue;
            }
            Some(d) if d != day => (day, hour, minute, second) = (d, 0, 0, 0),
            Some(_) => {}
        }
        match expr.next_hour(hour) {
            None => {
                (day, hour, minute, second) = (day + 1, 0, 0, 0);
                continue;
            }
            Some(h) if h != hour => (hour, minute, second) = (h, 0, 0),
            Some(_) => {}
        }
        match expr.next_minute(minute) {
            None => {
                (hour, minute, second) = (hour + 1, 0, 0);
                continue;
            }
            Some(m) if m != minute => (minute, second) = (m, 0),
            Some(_) => {}
        }
        match expr.next_second(second) {
            None => {
                (minute, second) = (minute + 1, 0);
                continue;
            }
            Some(s) => second = s,
        }
        return NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second);
    }
}

/// The first day of `month` at or after `from` that `expr` matches (day of month and
/// weekday together, by `CronExpr::matches_day`).
fn next_day(expr: &CronExpr, year: i32, month: u32, from: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let length = first
        .checked_add_months(chrono::Months::new(1))?
        .pred_opt()?
        .day();
    let weekday_of_first = first.weekday().num_days_from_sunday();
    (from.max(1)..=length).find(|day| expr.matches_day(*day, (weekday_of_first + day - 1) % 7))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, MappedLocalTime};

    /// A zone like Europe/Berlin in 2026 only: +01:00, and +02:00 from 2026-03-29 01:00 UTC
    /// (local 02:00-03:00 does not exist) to 2026-10-25 01:00 UTC (local 02:00-03:00 happens
    /// twice). Independent of the machine's time zone database.
    #[derive(Clone, Copy, Debug)]
    struct FakeDst;

    const WINTER: i32 = 3600;
    const SUMMER: i32 = 7200;

    fn offset(seconds: i32) -> FixedOffset {
        FixedOffset::east_opt(seconds).expect("a one- or two-hour offset is in range")
    }

    fn utc(text: &str) -> NaiveDateTime {
        text.parse().expect("a valid naive date-time literal")
    }

    impl TimeZone for FakeDst {
        type Offset = FixedOffset;

        fn from_offset(_: &FixedOffset) -> Self {
            FakeDst
        }

        fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<FixedOffset> {
            self.offset_from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
        }

        fn offset_from_local_datetime(
            &self,
            local: &NaiveDateTime,
        ) -> MappedLocalTime<FixedOffset> {
            let fits = |seconds: i32| {
                let off = offset(seconds);
                self.offset_from_utc_datetime(&(*local - off)) == off
            };
            // The summer reading is the earlier instant of the two.
            match (fits(SUMMER), fits(WINTER)) {
                (true, true) => MappedLocalTime::Ambiguous(offset(SUMMER), offset(WINTER)),
                (true, false) => MappedLocalTime::Single(offset(SUMMER)),
                (false, true) => MappedLocalTime::Single(offset(WINTER)),
                (false, false) => MappedLocalTime::None,
            }
        }

        fn offset_from_utc_date(&self, utc: &NaiveDate) -> FixedOffset {
            self.offset_from_utc_datetime(&utc.and_time(chrono::NaiveTime::MIN))
        }

        fn offset_from_utc_datetime(&self, at: &NaiveDateTime) -> FixedOffset {
            if utc("2026-03-29T01:00:00") <= *at && *at < utc("2026-10-25T01:00:00") {
                offset(SUMMER)
            } else {
                offset(WINTER)
            }
        }
    }

    fn parse(expr: &str) -> CronExpr {
        CronExpr::parse(expr).unwrap_or_else(|e| panic!("{e}"))
    }

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn next_fire_times_in_a_fixed_zone() {
        // One row a line, so the table reads as a table.
        #[rustfmt::skip]
        let rows: &[(&str, &str, Option<&str>)] = &[
            // Every two seconds; strictly after, and a fraction of a second still counts.
            ("*/2 * * * * *", "2026-01-01T00:00:00+00:00", Some("2026-01-01T00:00:02+00:00")),
            ("*/2 * * * * *", "2026-01-01T00:00:01+00:00", Some("2026-01-01T00:00:02+00:00")),
            ("*/2 * * * * *", "2026-01-01T00:00:58.5+00:00", Some("2026-01-01T00:01:00+00:00")),
            // Daily at midnight; 5 fields fire at second 0; wall time in the given zone.
            ("0 0 * * *", "2026-05-10T00:00:00+00:00", Some("2026-05-11T00:00:00+00:00")),
            ("0 0 * * *", "2026-05-10T13:14:15+00:00", Some("2026-05-11T00:00:00+00:00")),
            ("0 0 * * *", "2026-01-01T23:00:00+09:00", Some("2026-01-02T00:00:00+09:00")),
            // Day of month and day of week both restricted: either matches (1st, 15th, Fridays).
            ("30 4 1,15 * 5", "2026-05-02T00:00:00+00:00", Some("2026-05-08T04:30:00+00:00")),
            ("30 4 1,15 * 5", "2026-05-08T04:30:00+00:00", Some("2026-05-15T04:30:00+00:00")),
            ("30 4 1,15 * 5", "2026-05-29T05:00:00+00:00", Some("2026-06-01T04:30:00+00:00")),
            ("0 0 1-7 * mon", "2026-01-07T12:00:00+00:00", Some("2026-01-12T00:00:00+00:00")),
            // A wildcard-led day field (`*/7`) is unrestricted, so both must match: Feb 29 on a Sunday.
            ("0 0 29 2 */7", "2026-03-01T00:00:00+00:00", Some("2032-02-29T00:00:00+00:00")),
            ("0 0 29 2 */7", "2032-02-29T00:00:00+00:00", Some("2060-02-29T00:00:00+00:00")),
            // Leap days, including 2100, which is not a leap year.
            ("0 0 29 2 *", "2026-03-01T00:00:00+00:00", Some("2028-02-29T00:00:00+00:00")),
            ("0 0 29 2 *", "2096-03-01T00:00:00+00:00", Some("2104-02-29T00:00:00+00:00")),
            // Weekdays at noon, across a weekend (2026-01-02 is a Friday).
            ("0 12 * * mon-fri", "2026-01-02T11:59:59+00:00", Some("2026-01-02T12:00:00+00:00")),
            ("0 12 * * mon-fri", "2026-01-02T12:00:00+00:00", Some("2026-01-05T12:00:00+00:00")),
            // 7 and 0 are both Sunday (2026-01-01 is a Thursday).
            ("0 0 * * 7", "2026-01-01T00:00:00+00:00", Some("2026-01-04T00:00:00+00:00")),
            ("0 0 * * 0", "2026-01-01T00:00:00+00:00", Some("2026-01-04T00:00:00+00:00")),
            ("0 0 * * sun", "2026-01-01T00:00:00+00:00", Some("2026-01-04T00:00:00+00:00")),
            // Month names.
            ("0 0 1 jan,jul *", "2026-02-01T00:00:00+00:00", Some("2026-07-01T00:00:00+00:00")),
            ("0 0 1 jan,jul *", "2026-07-01T00:00:00+00:00", Some("2027-01-01T00:00:00+00:00")),
            // Year rollover.
            ("* * * * * *", "2026-12-31T23:59:59+00:00", Some("2027-01-01T00:00:00+00:00")),
            ("59 23 31 12 *", "2026-12-31T23:59:00+00:00", Some("2027-12-31T23:59:00+00:00")),
            // Step over a range, and from a start to the field's end.
            ("10-30/10 * * * *", "2026-01-01T12:10:00+00:00", Some("2026-01-01T12:20:00+00:00")),
            ("10-30/10 * * * *", "2026-01-01T12:30:00+00:00", Some("2026-01-01T13:10:00+00:00")),
            ("5/15 * * * * *", "2026-01-01T12:00:50+00:00", Some("2026-01-01T12:01:05+00:00")),
            // The 31st skips 30-day months.
            ("0 0 31 * *", "2026-04-01T00:00:00+00:00", Some("2026-05-31T00:00:00+00:00")),
            // Days that never exist.
            ("0 0 31 2 *", "2026-01-01T00:00:00+00:00", None),
            ("0 0 30 2 *", "2026-01-01T00:00:00+00:00", None),
            ("0 0 31 4,6,9,11 *", "2026-01-01T00:00:00+00:00", None),
            // ... unless the weekday rescues them: any Monday in February.
            ("0 0 31 2 mon", "2026-03-01T00:00:00+00:00", Some("2027-02-01T00:00:00+00:00")),
        ];
        for (expr, after, want) in rows {
            let got = next_after_in(&parse(expr), &at(after)).map(|t| t.to_rfc3339());
            assert_eq!(got.as_deref(), *want, "{expr:?} after {after}");
        }
    }

    #[test]
    fn daylight_saving_gaps_are_skipped_and_overlaps_fire_once() {
        // One row a line, so the table reads as a table.
        #[rustfmt::skip]
        let rows: &[(&str, &str, &str)] = &[
            // Spring forward: 02:00-03:00 local does not exist on 2026-03-29.
            ("30 2 * * *", "2026-03-28T12:00:00+01:00", "2026-03-30T02:30:00+02:00"),
            ("*/15 * * * *", "2026-03-29T01:50:00+01:00", "2026-03-29T03:00:00+02:00"),
            ("* * * * * *", "2026-03-29T01:59:59+01:00", "2026-03-29T03:00:00+02:00"),
            ("0 3 * * *", "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00"),
            // Fall back: 02:00-03:00 local happens twice on 2026-10-25; first occurrence only.
            ("0 2 * * *", "2026-10-25T01:59:00+02:00", "2026-10-25T02:00:00+02:00"),
            ("30 2 * * *", "2026-10-24T12:00:00+02:00", "2026-10-25T02:30:00+02:00"),
            ("30 2 * * *", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"),
            ("*/15 * * * *", "2026-10-25T02:50:00+02:00", "2026-10-25T03:00:00+01:00"),
            ("*/15 * * * *", "2026-10-25T02:05:00+01:00", "2026-10-25T03:00:00+01:00"),
            // Ordinary days either side keep their own offset.
            ("0 12 * * *", "2026-06-01T13:00:00+02:00", "2026-06-02T12:00:00+02:00"),
            ("0 12 * * *", "2026-12-01T13:00:00+01:00", "2026-12-02T12:00:00+01:00"),
        ];
        for (expr, after, want) in rows {
            let after = at(after).with_timezone(&FakeDst);
            let got = next_after_in(&parse(expr), &after).map(|t| t.to_rfc3339());
            assert_eq!(got.as_deref(), Some(*want), "{expr:?} after {after}");
        }
    }

    #[test]
    fn a_rare_schedule_in_local_time_is_found_by_stepping_fields() {
        // Feb 29 or any Monday in February (both day fields restricted); 2027-02-01 is a Monday.
        let after = Local
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .earliest()
            .expect("midnight on 2026-03-01 exists in the machine's zone");
        let got = next_after(&parse("0 0 29 2 1"), after).map(|t| t.naive_local());
        assert_eq!(got, Some(utc("2027-02-01T00:00:00")));
    }

    #[test]
    fn local_next_fire_is_strictly_after_now() {
        let now = Local::now();
        let got = next_after(&parse("* * * * * *"), now);
        assert!(got.is_some_and(|t| t > now), "{got:?} after {now}");
    }
}
