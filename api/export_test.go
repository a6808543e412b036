package api

import "time"

// SetTriageClock pins the clock triage mutations stamp decisions with and
// returns a func restoring it.
func SetTriageClock(now func() time.Time) (restore func()) {
	old := triageClock
	triageClock = now
	return func() { triageClock = old }
}
