package loadgen

// fdMargin covers what a run holds besides its sessions: the probe and helper connections,
// standard streams, the runtime's own descriptors, output files.
const fdMargin = 64

// fdsPerSession is what one session holds at the peak of a round: the control connection and
// the data connection, plus the listener of an active-mode transfer.
func fdsPerSession(sc *Scenario) int {
	n := 2
	if !sc.DataMode.only(func(m Mode) bool { return m.passive() }) {
		n = 3
	}
	return n
}

// checkBudget raises the descriptor soft limit to the hard limit and refuses a run that would
// not fit, before it opens anything: running out halfway would read as server failures.
func checkBudget(sessions int, sc *Scenario, serverInProcess bool) error {
	per := fdsPerSession(sc)
	if serverInProcess {
		// The embedded server holds the other end of each control and data connection, plus a
		// passive listener while a port is pending.
		per += 3
	}
	need := uint64(sessions*per + sc.Steal + fdMargin)
	limit, err := raiseFDLimit()
	if err != nil {
		return nil // the limit cannot be read here: let the run find out
	}
	if need > limit {
		return &BudgetError{Need: need, Limit: limit, Sessions: sessions, PerSess: per}
	}
	return nil
}
