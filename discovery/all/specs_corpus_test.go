package all

import (
	"context"
	"fmt"
	"github.com/riskgraph/riskgraph/internal/testcorpus"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/runtest"
	"github.com/riskgraph/riskgraph/graph"
)

func specsCorpusDir(t testing.TB) string { return testcorpus.Dir(t) }

// specTruth is what an application's GROUND_TRUTH.md says, restricted to what
// compose files, API specs, protos and DDL can show.
type specTruth struct {
	app       string
	services  []string
	stores    []string
	internet  []string    // services reachable from the Internet
	calls     [][2]string // caller → callee (service or data store)
	sensitive []string    // "service METHOD path" of APIs carrying PII or PCI
	minRecall map[string]float64
}

var specTruths = []specTruth{
	{
		app:      "crapi",
		services: []string{"crapi-web", "crapi-identity", "crapi-community", "crapi-workshop", "mailhog", "api.mypremiumdealership.com"},
		stores:   []string{"postgresdb", "mongodb"},
		internet: nil, // compose binds every published port to ${LISTEN_IP:-127.0.0.1}
		calls: [][2]string{
			{"crapi-web", "crapi-identity"}, {"crapi-web", "crapi-community"}, {"crapi-web", "crapi-workshop"},
			{"crapi-web", "mailhog"}, {"crapi-community", "crapi-identity"}, {"crapi-workshop", "crapi-identity"},
			{"crapi-identity", "mailhog"}, {"crapi-identity", "api.mypremiumdealership.com"},
			{"crapi-workshop", "api.mypremiumdealership.com"}, {"mailhog", "mongodb"},
			{"crapi-identity", "postgresdb"}, {"crapi-community", "postgresdb"}, {"crapi-workshop", "postgresdb"},
			{"crapi-community", "mongodb"}, {"crapi-workshop", "mongodb"},
		},
		sensitive: []string{
			"crapi-identity POST /identity/api/auth/signup", "crapi-identity POST /identity/api/auth/login",
			"crapi-identity POST /identity/api/auth/forget-password", "crapi-identity POST /identity/api/auth/v2/check-otp",
			"crapi-identity POST /identity/api/auth/v3/check-otp", "crapi-identity GET /identity/api/v2/user/dashboard",
			"crapi-identity POST /identity/api/v2/user/change-email", "crapi-identity GET /identity/api/v2/vehicle/vehicles",
			"crapi-identity GET /identity/api/v2/vehicle/{vehicleId}/location",
			"crapi-community GET /community/api/v2/community/posts/recent", "crapi-community GET /community/api/v2/community/posts/{postId}",
			"crapi-community POST /community/api/v2/community/posts", "crapi-community POST /community/api/v2/community/posts/{postId}/comment",
			"crapi-workshop GET /workshop/api/shop/orders/{order_id}", "crapi-workshop GET /workshop/api/shop/orders/all",
			"crapi-workshop PUT /workshop/api/shop/orders/{order_id}", "crapi-workshop POST /workshop/api/shop/orders/return_order",
			"crapi-workshop GET /workshop/api/management/users/all", "crapi-workshop GET /workshop/api/mechanic/",
			"crapi-workshop GET /workshop/api/mechanic/mechanic_report", "crapi-workshop GET /workshop/api/mechanic/service_requests",
			"crapi-workshop POST /workshop/api/mechanic/signup",
		},
		minRecall: map[string]float64{"services": 1, "stores": 1, "calls": 0.9, "sensitive": 0.95},
	},
	{
		app:      "sock-shop",
		services: []string{"front-end", "edge-router", "catalogue", "carts", "orders", "payment", "user", "shipping", "queue-master", "user-sim"},
		stores:   []string{"catalogue-db", "carts-db", "orders-db", "user-db", "rabbitmq"},
		internet: []string{"edge-router"},
		calls: [][2]string{
			{"front-end", "catalogue"}, {"front-end", "carts"}, {"front-end", "orders"}, {"front-end", "user"},
			{"orders", "payment"}, {"orders", "shipping"}, {"orders", "user"}, {"orders", "carts"},
			{"shipping", "rabbitmq"}, {"queue-master", "rabbitmq"}, {"carts", "carts-db"}, {"orders", "orders-db"},
			{"user", "user-db"}, {"catalogue", "catalogue-db"},
		},
		sensitive: []string{
			"user POST /register", "user GET /login", "user GET /customers", "user GET /customers/{id}",
			"user GET /cards", "user POST /cards", "user GET /addresses", "user POST /addresses",
			"user GET /customers/{id}/cards", "user GET /customers/{id}/addresses",
			"orders POST /orders", "orders GET /orders", "payment POST /paymentAuth",
		},
		// Service URLs are hard-coded in source: config shows one call.
		minRecall: map[string]float64{"services": 1, "stores": 1, "internet": 1, "sensitive": 0.8},
	},
	{
		app: "online-boutique",
		// frontend has no proto (it serves HTML); the other nine are gRPC.
		services: []string{"cartservice", "productcatalogservice", "currencyservice", "paymentservice", "shippingservice",
			"emailservice", "checkoutservice", "recommendationservice", "adservice"},
		sensitive: []string{
			"checkoutservice GRPC /hipstershop.CheckoutService/PlaceOrder", "paymentservice GRPC /hipstershop.PaymentService/Charge",
			"shippingservice GRPC /hipstershop.ShippingService/GetQuote", "shippingservice GRPC /hipstershop.ShippingService/ShipOrder",
			"emailservice GRPC /hipstershop.EmailService/SendOrderConfirmation",
		},
		minRecall: map[string]float64{"services": 1, "sensitive": 1},
	},
	{
		app:      "aws-serverless-ecommerce",
		services: []string{"orders", "products", "payment", "payment-3p", "delivery-pricing", "frontend-api"},
		sensitive: []string{
			"payment-3p POST /preauth", "orders GET /backend/{orderId}", "delivery-pricing POST /backend/pricing",
			"frontend-api MUTATION Mutation.createOrder", "frontend-api QUERY Query.getOrder", "frontend-api QUERY Query.getOrders",
			"frontend-api QUERY Query.getDeliveryPricing", "frontend-api QUERY Query.getNewDeliveries",
			"frontend-api QUERY Query.getDelivery",
		},
		minRecall: map[string]float64{"services": 1, "sensitive": 1},
	},
}

type specScore struct {
	tp, fp, fn int
	missed     []string
	extra      []string
}

func (s specScore) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s specScore) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

func specCompare(want, got []string) specScore {
	var s specScore
	for _, w := range want {
		if slices.Contains(got, w) {
			s.tp++
		} else {
			s.fn++
			s.missed = append(s.missed, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			s.fp++
			s.extra = append(s.extra, g)
		}
	}
	return s
}

// found extracts the specTruth's categories from a collector.
func specFound(c *discovery.Collector) map[string][]string {
	out := map[string][]string{}
	for _, n := range c.Nodes(graph.Service) {
		out["services"] = append(out["services"], n.Name)
	}
	for _, n := range c.Nodes(graph.DataStore) {
		out["stores"] = append(out["stores"], n.Name)
	}
	name := func(id graph.ID) string {
		if n, ok := c.Node(id); ok {
			return n.Name
		}
		return string(id)
	}
	for _, e := range c.Edges(graph.RoutesTo) {
		if to, ok := c.Node(e.To); ok && e.From == graph.InternetID && to.Kind == graph.Service {
			out["internet"] = append(out["internet"], to.Name)
		}
	}
	for _, e := range c.Edges(graph.Calls, graph.Reads, graph.Writes) {
		if to, ok := c.Node(e.To); ok && to.Kind != graph.ThirdParty {
			k := name(e.From) + " -> " + name(e.To)
			if !slices.Contains(out["calls"], k) {
				out["calls"] = append(out["calls"], k)
			}
		}
	}
	for _, e := range c.Edges(graph.Exposes) {
		api, ok := c.Node(e.To)
		if !ok || !(slices.Contains(api.DataClasses, graph.PII) || slices.Contains(api.DataClasses, graph.PCI)) {
			continue
		}
		out["sensitive"] = append(out["sensitive"], name(e.From)+" "+api.Name)
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// TestCorpus runs the compose, OpenAPI, proto and SQL agents over each
// corpus application and scores them against its ground specTruth. The
// scores are logged (go test -v) and recall is asserted where the files
// carry the information.
func TestSpecsCorpus(t *testing.T) {
	corpus := specsCorpusDir(t)
	for _, tr := range specTruths {
		t.Run(tr.app, func(t *testing.T) {
			res, err := runtest.Run(context.Background(), "prod", corpus, []string{filepath.Join(corpus, tr.app)}, specAgents(), specLinkers())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				t.Errorf("file error: %v", e)
			}
			checkBatch(t, res)
			got := specFound(res.C)
			var calls []string
			for _, c := range tr.calls {
				calls = append(calls, c[0]+" -> "+c[1])
			}
			want := map[string][]string{"services": tr.services, "stores": tr.stores, "internet": tr.internet,
				"calls": calls, "sensitive": tr.sensitive}
			var report []string
			for _, k := range []string{"services", "stores", "internet", "calls", "sensitive"} {
				if len(want[k]) == 0 && len(got[k]) == 0 {
					continue
				}
				s := specCompare(want[k], got[k])
				report = append(report, fmt.Sprintf("%s P=%.2f R=%.2f (tp %d fp %d fn %d)", k, s.precision(), s.recall(), s.tp, s.fp, s.fn))
				if min, ok := tr.minRecall[k]; ok && s.recall() < min {
					t.Errorf("%s recall %.2f < %.2f; missed %v", k, s.recall(), min, s.missed)
				}
				if len(s.extra) > 0 {
					t.Logf("%s extra: %s", k, strings.Join(s.extra, "; "))
				}
				if len(s.missed) > 0 {
					t.Logf("%s missed: %s", k, strings.Join(s.missed, "; "))
				}
			}
			t.Logf("SCORE %s: %s", tr.app, strings.Join(report, ", "))
		})
	}
}

// BenchmarkSpecsCorpus runs the compose, OpenAPI, proto and SQL agents and
// their linkers over the five corpus applications (every file is offered
// to every agent's Detect, as the runner does).
func BenchmarkSpecsCorpus(b *testing.B) {
	corpus := specsCorpusDir(b)
	var roots []string
	files := 0
	for _, app := range []string{"online-boutique", "crapi", "sock-shop", "aws-serverless-ecommerce", "terragoat-aws"} {
		root := filepath.Join(corpus, app)
		roots = append(roots, root)
		_ = filepath.Walk(root, func(_ string, info os.FileInfo, err error) error {
			if err == nil && info.Mode().IsRegular() {
				files++
			}
			return nil
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := runtest.Run(context.Background(), "prod", corpus, roots, specAgents(), specLinkers())
		if err != nil || len(res.Errors) > 0 {
			b.Fatal(err, res.Errors)
		}
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(files), "files")
}

// checkBatch asserts that what was collected is a valid batch with every
// edge's endpoints present.
func checkBatch(t *testing.T, res *runtest.Result) {
	t.Helper()
	b, dangling := res.C.Batch(graph.Scope{Source: "discover", Key: "test"}, "run-1")
	if err := b.Validate(); err != nil {
		t.Errorf("batch does not validate: %v", err)
	}
	for _, e := range dangling {
		t.Errorf("dangling edge %s %s -> %s", e.Kind, e.From, e.To)
	}
}
