package neo4j

import (
	"fmt"

	"github.com/spf13/pflag"
)

// Command-line flags and environment variables of `riskgraph serve --store
// neo4j`. They are declared here, next to Config, so that the binary, the
// docker-compose.yml check and the docs cannot drift apart.
const (
	FlagURI          = "neo4j-uri"
	FlagUser         = "neo4j-user"
	FlagPasswordFile = "neo4j-password-file"
	FlagDatabase     = "neo4j-database"

	EnvURI          = "RISKGRAPH_NEO4J_URI"
	EnvUser         = "RISKGRAPH_NEO4J_USER"
	EnvPasswordFile = "RISKGRAPH_NEO4J_PASSWORD_FILE"
	EnvDatabase     = "RISKGRAPH_NEO4J_DATABASE"
)

// EnvVars maps each flag to its environment variable.
var EnvVars = map[string]string{
	FlagURI: EnvURI, FlagUser: EnvUser, FlagPasswordFile: EnvPasswordFile, FlagDatabase: EnvDatabase,
}

// BindFlags registers the Neo4j flags on fs and returns the Config they fill.
// There is deliberately no password flag: a password on a command line is
// visible to every user of the machine.
func BindFlags(fs *pflag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.URI, FlagURI, "", "Neo4j URI: neo4j://host:7687 (cluster, Aura: neo4j+s://…) or bolt://host:7687 (env "+EnvURI+")")
	fs.StringVar(&c.User, FlagUser, "neo4j", "Neo4j user (env "+EnvUser+")")
	fs.StringVar(&c.PasswordFile, FlagPasswordFile, "", "file holding the Neo4j password (env "+EnvPasswordFile+")")
	fs.StringVar(&c.Database, FlagDatabase, "", "Neo4j database; empty for the server's default (env "+EnvDatabase+")")
	return c
}

// ApplyEnv fills every Neo4j flag not given on the command line from its
// environment variable (flags win over the environment).
func ApplyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	for flag, env := range EnvVars {
		f := fs.Lookup(flag)
		if f == nil || f.Changed {
			continue
		}
		if v := getenv(env); v != "" {
			if err := fs.Set(flag, v); err != nil {
				return fmt.Errorf("%s: %w", env, err)
			}
		}
	}
	return nil
}
