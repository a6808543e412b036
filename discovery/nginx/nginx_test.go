package nginx

import (
	"context"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

func readFixture(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseUpstreamsAndLocations(t *testing.T) {
	cfg, err := Parse("testdata/shop.conf", readFixture(t, "shop.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.ServerName, []string{"shop.example.com", "www.shop.example.com"}) {
		t.Errorf("server names %v", cfg.ServerName)
	}
	if len(cfg.Routes) != 3 {
		t.Fatalf("routes %+v", cfg.Routes)
	}
	cat, ord, docs := cfg.Routes[0], cfg.Routes[1], cfg.Routes[2]
	if cat.Prefix != "/api/catalog/" || cat.Host != "catalog_backend" || len(cat.Upstream) != 2 || cat.Line != 17 {
		t.Errorf("catalog route %+v", cat)
	}
	if ord.Prefix != "/api/orders/" || ord.Host != "orders" || ord.Port != 9000 || ord.URI != "/v2/" || !ord.HasURI || ord.Line != 27 {
		t.Errorf("orders route %+v", ord)
	}
	if docs.Scheme != "https" || docs.Host != "docs.vendor.example.net" {
		t.Errorf("docs route %+v", docs)
	}
}

// TestLinkBindsToService: a config using ${VARS} is bound to the service
// whose environment defines them, and its routes lead to the services the
// values name.
func TestLinkBindsToService(t *testing.T) {
	c := discovery.NewCollector("prod")
	web, api := graph.ServiceID("prod", "web"), graph.ServiceID("prod", "api")
	c.AddNode("k8s", graph.Node{ID: web, Kind: graph.Service, Name: "web", Env: "prod"})
	c.AddNode("k8s", graph.Node{ID: api, Kind: graph.Service, Name: "api", Env: "prod"})
	c.AddFact("k8s", discovery.EnvFactPrefix+string(web), discovery.ServiceEnv{Service: web, Name: "web", Env: map[string]string{"API_SERVICE": "api-svc:8080"}})
	c.AddFact("k8s", discovery.AliasFactPrefix+"api-svc", discovery.HostAlias{Name: "api-svc", Targets: []graph.ID{api}})
	conf := "server {\n listen 80;\n location /api/ {\n  proxy_pass http://${API_SERVICE};\n }\n location /raw/ {\n  proxy_pass http://${API_SERVICE}/;\n }\n}\n"
	if err := (Agent{}).Read(context.Background(), &discovery.File{Path: "services/web/nginx.conf.template", Data: []byte(conf)}, c); err != nil {
		t.Fatal(err)
	}
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	gw := graph.GatewayID("prod", "web-proxy")
	n, ok := c.Node(gw)
	if !ok || n.Props.String("type") != "reverse-proxy" {
		t.Fatalf("no reverse-proxy gateway: %+v", n)
	}
	if _, ok := c.Edge(graph.EdgeID(graph.RoutesTo, web, gw)); !ok {
		t.Error("the proxy is not reached through the service that runs it")
	}
	e, ok := c.Edge(graph.EdgeID(graph.RoutesTo, gw, api))
	if !ok {
		t.Fatal("no route to the upstream service")
	}
	if !slices.Equal(e.Props.Strings("pathPrefixes"), []string{"/api/", "/raw/"}) ||
		!slices.Equal(e.Props.Strings("upstreamPathPrefixes"), []string{"/api/", "/"}) {
		t.Errorf("route props %v", e.Props)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"server {\n location / {\n  proxy_pass http://x;\n", "not closed"},
		{"server {\n proxy_pass http://x\n}\n", "not terminated"},
		{"}\n", "no block is open"},
		{"server { return 200 \"unterminated; }", "unterminated quoted string"},
	} {
		_, err := Parse("x.conf", []byte(c.conf))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "x.conf") {
			t.Errorf("%q: error %v, want %q", c.conf, err, c.want)
		}
	}
}

func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

func TestCrapiTemplate(t *testing.T) {
	dir := corpusDir(t)
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("shared corpus missing")
		}
		t.Skip("shared corpus not found above the repository")
	}
	b, err := os.ReadFile(filepath.Join(dir, "crapi/services/web/nginx.conf.template"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("nginx.conf.template", b)
	if err != nil {
		t.Fatal(err)
	}
	var prefixes []string
	for _, r := range cfg.Routes {
		if !slices.Contains(prefixes, r.Prefix) {
			prefixes = append(prefixes, r.Prefix)
		}
	}
	slices.Sort(prefixes)
	want := []string{"/.well-known/jwks.json", "/community/", "/identity/", "/mailhog/", "/workshop/"}
	if !slices.Equal(prefixes, want) {
		t.Errorf("prefixes %v, want %v", prefixes, want)
	}
	for _, v := range []string{"COMMUNITY_SERVICE", "IDENTITY_SERVICE", "WORKSHOP_SERVICE", "MAILHOG_WEB_SERVICE"} {
		if !slices.Contains(cfg.Vars, v) {
			t.Errorf("var %s not seen in %v", v, cfg.Vars)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readFixture(f, "shop.conf"))
	if dir := corpusDir(f); dir != "" {
		for _, n := range []string{"crapi/services/web/nginx.conf.template", "crapi/services/web/nginx.ssl.conf.template"} {
			if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("server { location /a/ { proxy_pass http://${X}:80/b; } }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.conf", data)
		if err != nil {
			if _, ok := err.(*discovery.FileError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		c := discovery.NewCollector("fuzz")
		c.AddFact(Name, "nginx/fuzz.conf", *cfg)
		if err := (Linker{}).Link(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	})
}

// A proxy on the host (mastodon's dist/nginx.conf) reaches containers
// through the ports they publish on 127.0.0.1; nothing runs it, and it
// listens on the host's public address, so it takes traffic from the
// Internet.
func TestLoopbackUpstreamsReachPublishedPorts(t *testing.T) {
	c := discovery.NewCollector("prod")
	web, streaming := graph.ServiceID("prod", "web"), graph.ServiceID("prod", "streaming")
	c.AddNode("compose", graph.Node{ID: web, Kind: graph.Service, Name: "web", Env: "prod", Props: graph.Props{"localPorts": []int64{3000}}})
	c.AddNode("compose", graph.Node{ID: streaming, Kind: graph.Service, Name: "streaming", Env: "prod", Props: graph.Props{"localPorts": []int64{4000}}})
	conf := `upstream backend { server 127.0.0.1:3000 fail_timeout=0; }
server {
  listen 443 ssl;
  server_name social.example.org;
  location / { proxy_pass http://backend; }
  location ^~ /api/v1/streaming { proxy_pass http://localhost:4000; }
  location /metrics { proxy_pass http://127.0.0.1:9394; }
}
`
	if err := (Agent{}).Read(context.Background(), &discovery.File{Path: "dist/nginx.conf", Data: []byte(conf)}, c); err != nil {
		t.Fatal(err)
	}
	if err := (Linker{}).Link(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	gw := graph.GatewayID("prod", "dist-proxy")
	for _, to := range []graph.ID{web, streaming} {
		if _, ok := c.Edge(graph.EdgeID(graph.RoutesTo, gw, to)); !ok {
			t.Errorf("no route %s -> %s", gw, to)
		}
	}
	if _, ok := c.Edge(graph.EdgeID(graph.RoutesTo, graph.InternetID, gw)); !ok {
		t.Error("the host's proxy listening on 443 is not internet-facing")
	}
	if n, _ := c.Node(gw); !n.Props.Bool("public") {
		t.Errorf("gateway props %v", n.Props)
	}
}
