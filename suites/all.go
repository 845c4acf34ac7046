package suites

// All returns every case, built fresh on each call (callers may modify what they get), in a
// stable order: by RFC area, then as written.
func All() []Case {
	var all []Case
	for _, group := range [][]Case{
		rfc959Session(),
		rfc959Params(),
		rfc959Files(),
		rfc959Passive(),
		rfc959ReplyTable(),
		rfc1123Cases(),
		rfc4217Cases(),
		rfc2389Cases(),
		rfc2428Cases(),
		rfc2577Cases(),
		rfc2640Cases(),
		rfc3659Cases(),
		rfc7151Cases(),
		auditCases(),
	} {
		all = append(all, group...)
	}
	return all
}
