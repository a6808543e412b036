package neo4j

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/riskgraph/riskgraph/graph"
)

const secret = "s3cr3t-Pa55"

// TestErrorMapping maps the driver's errors to riskgraph's classes, with
// messages that carry neither Cypher nor credentials.
func TestErrorMapping(t *testing.T) {
	cypherMsg := "Invalid input 'X': expected 'MATCH' (line 1) \"UNWIND $rows AS row MATCH (n:Service {id: row.id}) password '" + secret + "'\""
	for _, tc := range []struct {
		name  string
		err   error
		class error
		code  string
	}{
		{"auth", &neo4j.Neo4jError{Code: "Neo.ClientError.Security.Unauthorized", Msg: "The client is unauthorized due to authentication failure. user neo4j password " + secret}, ErrAuth, "Neo.ClientError.Security.Unauthorized"},
		{"forbidden", &neo4j.Neo4jError{Code: "Neo.ClientError.Security.Forbidden", Msg: cypherMsg}, ErrAuth, "Neo.ClientError.Security.Forbidden"},
		{"token expired", &neo4j.TokenExpiredError{Code: "Neo.ClientError.Security.TokenExpired", Message: "expired"}, ErrAuth, ""},
		{"invalid auth", &neo4j.InvalidAuthenticationError{}, ErrAuth, ""},
		{"constraint", &neo4j.Neo4jError{Code: "Neo.ClientError.Schema.ConstraintValidationFailed", Msg: "Node(12) already exists with label `Service` and property `id` = '" + secret + "'"}, ErrConstraint, "Neo.ClientError.Schema.ConstraintValidationFailed"},
		{"syntax", &neo4j.Neo4jError{Code: "Neo.ClientError.Statement.SyntaxError", Msg: cypherMsg}, ErrServer, "Neo.ClientError.Statement.SyntaxError"},
		{"transient", &neo4j.Neo4jError{Code: "Neo.TransientError.Transaction.DeadlockDetected", Msg: cypherMsg}, ErrUnavailable, "Neo.TransientError.Transaction.DeadlockDetected"},
		{"db unavailable", &neo4j.Neo4jError{Code: "Neo.TransientError.General.DatabaseUnavailable", Msg: "x"}, ErrUnavailable, "Neo.TransientError.General.DatabaseUnavailable"},
		{"no database", &neo4j.Neo4jError{Code: "Neo.ClientError.Database.DatabaseNotFound", Msg: "x"}, ErrUnavailable, "Neo.ClientError.Database.DatabaseNotFound"},
		{"connectivity", &neo4j.ConnectivityError{Inner: errors.New("dial tcp 10.0.0.7:7687: connect: connection refused")}, ErrUnavailable, ""},
		{"retries exhausted", &neo4j.TransactionExecutionLimit{Cause: "timeout", Errors: []error{&neo4j.Neo4jError{Code: "Neo.TransientError.Transaction.LockClientStopped", Msg: cypherMsg}}}, ErrUnavailable, "Neo.TransientError.Transaction.LockClientStopped"},
		{"retries exhausted, constraint", &neo4j.TransactionExecutionLimit{Cause: "timeout", Errors: []error{&neo4j.Neo4jError{Code: "Neo.ClientError.Schema.ConstraintValidationFailed", Msg: cypherMsg}}}, ErrConstraint, "Neo.ClientError.Schema.ConstraintValidationFailed"},
		{"wrapped", fmt.Errorf("tx: %w", &neo4j.Neo4jError{Code: "Neo.ClientError.Security.Unauthorized", Msg: secret}), ErrAuth, "Neo.ClientError.Security.Unauthorized"},
	} {
		err := mapError("apply", tc.err)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %T is not *Error", tc.name, err)
		}
		if !errors.Is(err, tc.class) || e.Code != tc.code {
			t.Errorf("%s: got class %v code %q, want %v %q", tc.name, e.Class, e.Code, tc.class, tc.code)
		}
		msg := err.Error()
		for _, leak := range []string{secret, "MATCH", "UNWIND", "Service"} {
			if strings.Contains(msg, leak) {
				t.Errorf("%s: message %q leaks %q", tc.name, msg, leak)
			}
		}
		if !strings.HasPrefix(msg, "neo4j apply: ") {
			t.Errorf("%s: message %q does not say what failed", tc.name, msg)
		}
		if !errors.Is(err, tc.err) && !errors.As(err, new(*neo4j.Neo4jError)) {
			t.Errorf("%s: the driver error is not reachable for debugging", tc.name)
		}
	}
	// Model and context errors pass through untouched.
	for _, err := range []error{context.Canceled, graph.ErrRunFailed, fmt.Errorf("x: %w", graph.ErrInvalid)} {
		if got := mapError("apply", err); got != err {
			t.Errorf("%v was rewrapped as %v", err, got)
		}
	}
	if mapError("x", nil) != nil {
		t.Error("nil mapped to an error")
	}
}

// TestConfigNeverShowsThePassword covers logging and error paths of the
// configuration.
func TestConfigNeverShowsThePassword(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "neo4j-password")
	if err := os.WriteFile(pwFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Config{URI: "neo4j+s://db.example.com:7687", User: "neo4j", PasswordFile: pwFile, Password: secret}
	pw, err := c.check()
	if err != nil || pw != secret {
		t.Fatalf("password from file: %q %v", pw, err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("opening", "config", c)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("opening", "config", c)
	fmt.Fprintf(&logged, "%v %+v %s", c, c, c)
	if strings.Contains(logged.String(), secret) {
		t.Fatalf("password logged: %s", logged.String())
	}
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{User: "u", Password: "p"}, "no URI"},
		{Config{URI: "http://db:7474", User: "u", Password: "p"}, "scheme"},
		{Config{URI: "neo4j://neo4j:" + secret + "@db:7687", User: "u", Password: "p"}, "carries credentials"},
		{Config{URI: "neo4j://db:7687", Password: "p"}, "no user"},
		{Config{URI: "neo4j://db:7687", User: "u"}, "no password"},
		{Config{URI: "neo4j://db:7687", User: "u", PasswordFile: filepath.Join(dir, "missing")}, "password file"},
	} {
		_, err := tc.c.check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.c, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks the password: %v", err)
		}
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := (&Config{URI: "bolt://db:7687", User: "u", PasswordFile: empty}).check(); err == nil {
		t.Error("empty password file accepted")
	}
}

func TestOpenUnreachableServer(t *testing.T) {
	// A loopback port nothing listens on: the error is classed unavailable
	// and shows neither Cypher nor the password.
	ctx, cancel := context.WithTimeout(t.Context(), 20e9)
	defer cancel()
	_, err := Open(ctx, Config{URI: "bolt://127.0.0.1:1", User: "neo4j", Password: secret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("want ErrUnavailable, got %v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestServerVersion(t *testing.T) {
	for agent, ok := range map[string]bool{
		"Neo4j/5.26.0": true, "Neo4j/5.23.0": true, "Neo4j/2025.01.0": true, "Neo4j/2025.10.1": true,
		"Neo4j/5.22.0": false, "Neo4j/4.4.30": false, "Neo4j/5": false, "Memgraph/2.0": false, "Neo4j/x.y": false,
	} {
		if err := checkServerVersion(agent); (err == nil) != ok {
			t.Errorf("%s: accepted=%v, want %v (%v)", agent, err == nil, ok, err)
		}
	}
}
