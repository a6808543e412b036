package sqlddl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParse(t *testing.T) {
	df, err := Parse("testdata/billing.sql", read(t, "billing.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if df.Explicit != "billing" || df.Engine != "mysql" {
		t.Errorf("explicit %q engine %q", df.Explicit, df.Engine)
	}
	if len(df.Tables) != 2 {
		t.Fatalf("tables %+v", df.Tables)
	}
	inv := df.Tables[0]
	var names []string
	for _, c := range inv.Columns {
		names = append(names, c.Name)
	}
	if inv.Name != "invoices" || inv.Line != 4 || !slices.Equal(names, []string{"id", "customer_email", "note", "amount", "memo", "billing_iban"}) {
		t.Errorf("invoices: %s line %d columns %v", inv.Name, inv.Line, names)
	}
	if inv.Columns[1].Line != 6 || inv.Columns[4].Line != 9 {
		t.Errorf("column lines %d %d, want 6 9", inv.Columns[1].Line, inv.Columns[4].Line)
	}
	if inv.Columns[4].Annotation != "PII" || inv.Columns[2].Annotation != "PHI" {
		t.Errorf("annotations memo=%q note=%q, want PII (trailing comment) and PHI (COMMENT ON)", inv.Columns[4].Annotation, inv.Columns[2].Annotation)
	}
	cards := df.Tables[1]
	if cards.Name != "payment_cards" || len(cards.Columns) != 3 {
		t.Errorf("payment_cards %+v (keys are not columns)", cards)
	}
}

func TestBroken(t *testing.T) {
	for name, line := range map[string]int{"unterminated.sql": 2, "unbalanced.sql": 1} {
		_, err := Parse("testdata/"+name, read(t, name))
		var fe *discovery.FileError
		if !errors.As(err, &fe) || fe.Line != line {
			t.Errorf("%s: %v, want a FileError at line %d", name, err, line)
		}
	}
	if _, err := Parse("x.sql", []byte("CREATE\x00TABLE")); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("binary: %v", err)
	}
	if _, err := Parse("x.sql", make([]byte, 50<<20)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("50 MB: %v", err)
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		path, data string
		want       bool
	}{
		{"db/schema.sql", "select 1;", true},
		{"db/schema", "-- schema\nCREATE TABLE a (b int);", true},
		{"main.go", "const q = `CREATE TABLE a (b int)`", false},
		{"README", "How to CREATE TABLE", false},
	} {
		if got := (Agent{}).Detect(&discovery.File{Path: c.path, Data: []byte(c.data)}); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", c.path, got, c.want)
		}
	}
}

// link runs the agent on ddl at path, with stores and services already
// collected, then the linker.
func link(t *testing.T, c *discovery.Collector, path, ddl string) {
	t.Helper()
	f := &discovery.File{Path: path, Data: []byte(ddl)}
	if err := (Agent{}).Read(context.Background(), f, c); err != nil {
		t.Fatal(err)
	}
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes(graph.DataStore) {
		if n.Env == ProvisionalEnv {
			t.Errorf("provisional store %s left behind", n.ID)
		}
	}
}

func TestLink(t *testing.T) {
	const ddl = "CREATE TABLE users (id int, email text);"
	store := func(c *discovery.Collector, env, name string, props graph.Props) graph.ID {
		id := graph.DataStoreID(env, name)
		c.AddNode("compose", graph.Node{ID: id, Kind: graph.DataStore, Name: name, Env: env, Props: props})
		return id
	}
	cases := []struct {
		name, path, ddl string
		setup           func(c *discovery.Collector)
		want            graph.ID
		why             string
	}{
		{"file name", "db/users-db.sql", ddl, func(c *discovery.Collector) { store(c, "dev", "users-db", nil) },
			graph.DataStoreID("dev", "users-db"), "file name"},
		{"explicit comment", "x/schema.sql", "-- riskgraph:datastore main\n" + ddl, func(c *discovery.Collector) {
			store(c, "dev", "main", nil)
			store(c, "dev", "schema", nil)
		}, graph.DataStoreID("dev", "main"), "comment"},
		{"database property", "init/01.sql", "CREATE DATABASE shop;\n\\c shop\n" + ddl, func(c *discovery.Collector) {
			store(c, "dev", "postgres", graph.Props{"database": "shop", "engine": "postgresql"})
		}, graph.DataStoreID("dev", "postgres"), "database shop"},
		{"service directory", "services/orders/migrations/001_init.sql", ddl, func(c *discovery.Collector) {
			st := store(c, "dev", "pg", graph.Props{"engine": "postgresql"})
			cache := store(c, "dev", "cache", graph.Props{"engine": "redis"})
			svc := graph.ServiceID("dev", "orders")
			c.AddNode("compose", graph.Node{ID: svc, Kind: graph.Service, Name: "orders", Env: "dev"})
			c.AddEdge("compose", graph.NewEdge(graph.Writes, svc, st))
			c.AddEdge("compose", graph.NewEdge(graph.Reads, svc, cache))
		}, graph.DataStoreID("dev", "pg"), "of service orders"},
		{"environment in path", "sql/prod/users-db.sql", ddl, func(c *discovery.Collector) {
			store(c, "staging", "users-db", nil)
			store(c, "prod", "users-db", nil)
		}, graph.DataStoreID("prod", "users-db"), "file name"},
		{"created in the path's environment", "sql/prod/users-db.sql", ddl, func(c *discovery.Collector) {
			store(c, "staging", "users-db", nil)
		}, graph.DataStoreID("prod", "users-db"), "created from the DDL"},
		{"created from a generic name", "billing/db/schema.sql", ddl, func(*discovery.Collector) {},
			graph.DataStoreID("dev", "billing"), "created from the DDL"},
		{"flyway step named after the module", "auth-service/src/main/resources/db/migration/V1__init.sql", ddl,
			func(*discovery.Collector) {}, graph.DataStoreID("dev", "auth-service"), "created from the DDL"},
		{"golang-migrate step named after the module", "bank/db/migration/000002_add_users.up.sql", ddl,
			func(*discovery.Collector) {}, graph.DataStoreID("dev", "bank"), "created from the DDL"},
		{"timestamped step", "shop/migrations/20230101120000_create_users.sql", ddl,
			func(*discovery.Collector) {}, graph.DataStoreID("dev", "shop"), "created from the DDL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := discovery.NewCollector("dev")
			tc.setup(c)
			link(t, c, tc.path, tc.ddl)
			n, ok := c.Node(tc.want)
			if !ok || !slices.Equal(n.Props.Strings("columns"), []string{"users.id", "users.email"}) {
				t.Fatalf("store %s: %+v", tc.want, n)
			}
			found := false
			for _, s := range n.Sources {
				if strings.Contains(s.Detail, tc.why) {
					found = true
				}
			}
			if !found {
				t.Errorf("evidence %v does not say %q", n.Sources, tc.why)
			}
		})
	}
}

// TestMigrationsOneStore: the steps of one migrations folder, read with a
// path that names no module, land in one store named after the module's
// directory on disk, not one store per step.
func TestMigrationsOneStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "billing-service")
	c := discovery.NewCollector("dev")
	for _, f := range []*discovery.File{
		{Path: "src/main/resources/db/migration/V1__init.sql", Abs: filepath.Join(dir, "src/main/resources/db/migration/V1__init.sql"),
			Data: []byte("CREATE TABLE users (id int, email text);")},
		{Path: "src/main/resources/db/migration/V2__cards.sql", Abs: filepath.Join(dir, "src/main/resources/db/migration/V2__cards.sql"),
			Data: []byte("ALTER TABLE users ADD COLUMN phone text;")},
	} {
		if err := (Agent{}).Read(context.Background(), f, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	stores := c.Nodes(graph.DataStore)
	if len(stores) != 1 || stores[0].ID != graph.DataStoreID("dev", "billing-service") {
		for _, s := range stores {
			t.Errorf("store %s %s", s.ID, s.Name)
		}
		t.Fatalf("want one store billing-service, got %d", len(stores))
	}
	got := slices.Sorted(slices.Values(stores[0].Props.Strings("columns")))
	if !slices.Equal(got, []string{"users.email", "users.id", "users.phone"}) {
		t.Errorf("columns %v", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"billing.sql", "unterminated.sql", "unbalanced.sql"} {
		f.Add(read(f, n))
	}
	for _, p := range []string{"prod/shop-db.sql", "staging/shop-db.sql"} {
		if data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "sql", p)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		df, err := Parse("fuzz.sql", data)
		if err != nil {
			var fe *discovery.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *discovery.FileError", err)
			}
			return
		}
		for _, tb := range df.Tables {
			if tb.Line < 1 {
				t.Fatalf("table %s without a line", tb.Name)
			}
		}
	})
}

// TestSQLServerBatches: T-SQL scripts end statements with GO lines, not
// semicolons; every batch is a statement of its own.
func TestSQLServerBatches(t *testing.T) {
	src := "USE [Shop]\nGO\nSET ANSI_NULLS ON\nGO\nCREATE TABLE [dbo].[Customers](\n\t[Id] [int] IDENTITY(1,1) NOT NULL,\n\t[Email] [nvarchar](100) NOT NULL,\n" +
		"PRIMARY KEY CLUSTERED\n(\n\t[Id] ASC\n)WITH (PAD_INDEX = OFF) ON [PRIMARY]\n) ON [PRIMARY]\ngo\n" +
		"ALTER TABLE [dbo].[Customers] ADD [Phone] varchar(20) NULL\nGO 2\n"
	df, err := Parse("shop.sql", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(df.Tables) != 1 || df.Tables[0].Name != "customers" || df.Tables[0].Line != 5 {
		t.Fatalf("tables %+v", df.Tables)
	}
	var cols []string
	for _, c := range df.Tables[0].Columns {
		cols = append(cols, c.Name)
	}
	if !slices.Equal(cols, []string{"id", "email", "phone"}) {
		t.Errorf("columns %v", cols)
	}
	if !slices.Equal(df.Databases, []string{"Shop"}) {
		t.Errorf("databases %v", df.Databases)
	}
}
