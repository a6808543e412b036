package neo4j

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config says where the Neo4j database is and how to log in.
type Config struct {
	// URI is the driver's target: neo4j://host:7687 (routing, for clusters
	// and Aura), bolt://host:7687 (one server), or their +s (TLS, verified)
	// and +ssc (TLS, self-signed accepted) forms, as the driver defines them.
	URI  string
	User string
	// PasswordFile holds the password (a trailing newline is ignored). It is
	// preferred over Password, which is for programmatic use and tests.
	PasswordFile string
	Password     string
	// Database is the database name; empty means the server's default.
	Database string

	// RowsPerStatement is how many rows one UNWIND statement carries
	// (default DefaultRowsPerStatement).
	RowsPerStatement int
	// SweepBatch is the rows per inner transaction of a sweep (default
	// DefaultSweepBatch).
	SweepBatch int
	Logger     *slog.Logger
	// Now is the clock for batches without ObservedAt (default time.Now).
	Now func() time.Time
}

// Batching defaults; see BENCHMARKS.md for the reasoning.
const (
	DefaultRowsPerStatement = 10000
	DefaultSweepBatch       = 10000
)

// LogValue makes slog print the config without the password.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("uri", redactURI(c.URI)),
		slog.String("user", c.User),
		slog.String("passwordFile", c.PasswordFile),
		slog.Bool("password", c.Password != ""),
		slog.String("database", c.Database),
	)
}

// String is LogValue for fmt: no password.
func (c Config) String() string {
	return fmt.Sprintf("neo4j{uri=%s user=%s passwordFile=%s database=%s}", redactURI(c.URI), c.User, c.PasswordFile, c.Database)
}

// redactURI drops user info a URI may carry (neo4j://user:pw@host).
func redactURI(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

var schemes = []string{"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}

// check validates the config and returns the password.
func (c *Config) check() (string, error) {
	if c.URI == "" {
		return "", fmt.Errorf("neo4j: no URI (set --neo4j-uri or %s)", EnvURI)
	}
	u, err := url.Parse(c.URI)
	if err != nil {
		return "", fmt.Errorf("neo4j: URI %q does not parse", redactURI(c.URI))
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	if !ok || u.Host == "" {
		return "", fmt.Errorf("neo4j: URI %q: want scheme://host:port with scheme one of %s", redactURI(c.URI), strings.Join(schemes, ", "))
	}
	if u.User != nil {
		return "", fmt.Errorf("neo4j: URI %q carries credentials; use --neo4j-user and --neo4j-password-file", redactURI(c.URI))
	}
	if c.User == "" {
		return "", fmt.Errorf("neo4j: no user (set --neo4j-user or %s)", EnvUser)
	}
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("neo4j: password file: %w", err)
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", fmt.Errorf("neo4j: password file %s is empty", c.PasswordFile)
		}
		return pw, nil
	}
	if c.Password == "" {
		return "", fmt.Errorf("neo4j: no password (set --neo4j-password-file or %s)", EnvPasswordFile)
	}
	return c.Password, nil
}
