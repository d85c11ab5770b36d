package slaclock_test

import (
	"fmt"
	"time"

	"github.com/leadops/leadops/internal/slaclock"
)

// A controller builds the calendar from a Team's spec (timezone, working hours, holiday dates) and the
// clock from the SLA target's mode, then computes the warning time and deadline of a handoff.
func Example() {
	cal, err := slaclock.ParseCalendar("Europe/Berlin",
		[]slaclock.Hours{
			{Days: []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}, Start: "09:00", End: "12:00"},
			{Days: []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}, Start: "13:00", End: "17:00"},
		},
		[]string{"2027-10-04"}) // a Monday off
	if err != nil {
		panic(err)
	}
	mode, _ := slaclock.ParseMode("BusinessHours")
	clk, _ := slaclock.NewClock(mode, cal)

	routed := time.Date(2027, 10, 1, 16, 0, 0, 0, cal.Location()) // a Friday, 16:00
	times, err := slaclock.Schedule(clk, routed, 4*time.Hour, time.Hour)
	if err != nil {
		panic(err)
	}
	fmt.Println("warn:    ", times.Warn.Format("Mon 2006-01-02 15:04 MST"))
	fmt.Println("deadline:", times.Deadline.Format("Mon 2006-01-02 15:04 MST"))
	fmt.Println("elapsed by Tuesday noon:", clk.Elapsed(routed, time.Date(2027, 10, 5, 12, 0, 0, 0, cal.Location())))
	// Output:
	// warn:     Tue 2027-10-05 11:00 CEST
	// deadline: Tue 2027-10-05 12:00 CEST
	// elapsed by Tuesday noon: 4h0m0s
}
