package neo4j

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/riskgraph/riskgraph/graph"
)

// Errors the backend returns (wrapped in *Error) for the situations a caller
// can act on. Match them with errors.Is.
var (
	// ErrUnavailable: the server cannot be reached, is not (yet) serving the
	// database, or kept failing transiently until the driver gave up.
	ErrUnavailable = errors.New("neo4j is unavailable")
	// ErrAuth: the credentials were refused or lack a permission.
	ErrAuth = errors.New("neo4j refused the credentials")
	// ErrConstraint: a write broke a uniqueness constraint (a concurrent
	// writer created the same element, or the data was changed outside
	// riskgraph).
	ErrConstraint = errors.New("neo4j constraint violation")
	// ErrServer: any other error the server reported.
	ErrServer = errors.New("neo4j error")
)

// Error is what the backend returns for a driver or server failure. Its
// message names the operation, the class of failure and, for server errors,
// Neo4j's status code; never the Cypher or the server's free-text message
// (which can quote the statement), and never credentials. The driver's error
// stays reachable through errors.As for debugging.
type Error struct {
	Op    string // "apply", "sweep", "read", "open", …
	Class error  // ErrUnavailable, ErrAuth, ErrConstraint or ErrServer
	Code  string // Neo4j status code, when the server sent one
	cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("neo4j ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Class.Error())
	if e.Code != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	return b.String()
}

// Is matches the class, so errors.Is(err, neo4j.ErrAuth) works.
func (e *Error) Is(target error) bool { return target == e.Class }

// Unwrap gives the driver's error.
func (e *Error) Unwrap() error { return e.cause }

// mapError turns a driver error into an *Error; model and context errors
// pass through unchanged.
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var own *Error
	switch {
	case errors.As(err, &own):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, graph.ErrInvalid), errors.Is(err, graph.ErrNotFound),
		errors.Is(err, graph.ErrRunFailed), errors.Is(err, graph.ErrUnknownRun), errors.Is(err, graph.ErrStaleRun), errors.Is(err, graph.ErrClosed):
		return err
	}
	e := &Error{Op: op, Class: ErrServer, cause: err}
	var ne *neo4j.Neo4jError
	var auth *neo4j.InvalidAuthenticationError
	var tok *neo4j.TokenExpiredError
	var limit *neo4j.TransactionExecutionLimit
	switch {
	case errors.As(err, &auth), errors.As(err, &tok):
		e.Class = ErrAuth
	case errors.As(err, &ne):
		e.Code = ne.Code
		e.Class = classify(ne)
	case errors.As(err, &limit):
		// Retries exhausted: classify by the last cause when it is a server
		// error, else the server was unreachable throughout.
		e.Class = ErrUnavailable
		if n := len(limit.Errors); n > 0 {
			if errors.As(limit.Errors[n-1], &ne) {
				e.Code = ne.Code
				e.Class = classify(ne)
			}
		}
	case neo4j.IsConnectivityError(err):
		e.Class = ErrUnavailable
	default:
		// Pool timeouts, routing failures and closed connections are not
		// all exported types; their messages mention the cause.
		msg := err.Error()
		if strings.Contains(msg, "connect") || strings.Contains(msg, "Timeout") || strings.Contains(msg, "routing") || strings.Contains(msg, "EOF") {
			e.Class = ErrUnavailable
		}
	}
	return e
}

func classify(ne *neo4j.Neo4jError) error {
	switch {
	case ne.Code == "Neo.ClientError.Schema.ConstraintValidationFailed":
		return ErrConstraint
	case strings.HasPrefix(ne.Code, "Neo.ClientError.Security."):
		return ErrAuth
	case strings.HasPrefix(ne.Code, "Neo.TransientError."),
		ne.Code == "Neo.ClientError.Database.DatabaseNotFound",
		ne.Code == "Neo.ClientError.Cluster.NotALeader",
		ne.Code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase":
		return ErrUnavailable
	}
	return ErrServer
}

// errorf is an error of the backend's own that names what it was doing.
func errorf(op, format string, args ...any) error {
	return fmt.Errorf("neo4j "+op+": "+format, args...)
}
