package main

import (
	"errors"

	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/loadgen/bench"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
	"github.com/ftpspec/ftpspec/suites"
)

// errorCode maps one kind of package error to an exit code.
type errorCode struct {
	match func(error) bool
	code  int
}

func is[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// packageErrorCodes is the table of the packages' typed errors and what they mean to a script.
var packageErrorCodes = []errorCode{
	{is[*reference.ConfigError], exitUsage},
	{is[*reports.SchemaError], exitUsage},
	{is[*reports.DocumentError], exitUsage},
	{is[*loadgen.FieldError], exitUsage},
	{is[*loadgen.BudgetError], exitUsage},
	{is[*loadgen.FailedError], exitFailed},
	{is[*loadgen.TargetError], exitUnreachable},
	{is[*loadgen.IncompleteError], exitUnreachable},
	{is[*suites.UnreachableError], exitUnreachable},
	{is[*bench.ConfigError], exitUsage},
	{is[*bench.DownError], exitUnreachable},
	{is[*bench.LostError], exitUnreachable},
	{is[*suites.LoginError], exitUnreachable},
	{is[*suites.TargetLostError], exitUnreachable},
}
