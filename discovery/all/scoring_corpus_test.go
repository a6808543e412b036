package all_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/scoring"
)

// radiusTruth is a blast radius a corpus application's GROUND_TRUTH.md
// states, as far as its configuration shows it.
type radiusTruth struct {
	from    string         // a service, by name
	reaches map[string]int // node name → depth it must be reached at (-1: any depth)
	stores  []string       // when set: exactly the data stores reached
	// services: when set, exactly the services reached (the start included).
	services   []string
	classes    []graph.DataClass // reachable data classes that must be listed
	noClasses  []graph.DataClass // classes that must not be
	identities int               // -1: any number; otherwise exactly this many
	// below: a radius (listed before this one) that must score higher.
	below string
}

type exposureTruth struct {
	internetFacing, notInternetFacing, unreachable []string
}

var scoringTruth = []struct {
	app      string
	exposure exposureTruth
	radii    []radiusTruth
}{
	{
		app: "online-boutique",
		// Q3 and Q4: frontend reaches every backend directly, redis-cart
		// through cartservice, payment and email through checkout; PII and
		// PCI are reachable. cartservice reaches redis-cart and nothing
		// else: no PII or PCI at rest.
		exposure: exposureTruth{
			internetFacing:    []string{"frontend"},
			notInternetFacing: []string{"cartservice", "checkoutservice", "paymentservice", "productcatalogservice"},
			unreachable:       []string{"loadgenerator"},
		},
		radii: []radiusTruth{
			{from: "frontend", reaches: map[string]int{
				"productcatalogservice": 1, "currencyservice": 1, "cartservice": 1, "recommendationservice": 1, "shippingservice": 1,
				"checkoutservice": 1, "adservice": 1, "shoppingassistantservice": 1,
				"redis-cart": 2, "paymentservice": 2, "emailservice": 2,
			}, classes: []graph.DataClass{graph.PII, graph.PCI}, identities: -1},
			{from: "cartservice", reaches: map[string]int{"redis-cart": 1}, stores: []string{"redis-cart"},
				services: []string{"cartservice"}, noClasses: []graph.DataClass{graph.PII, graph.PCI}, identities: -1, below: "frontend"},
		},
	},
	{
		app: "crapi",
		// Q2: a compromised workshop reaches the shared postgres and mongo
		// databases, the identity API, the gateway and outbound URLs; PII
		// and credentials.
		exposure: exposureTruth{
			internetFacing:    []string{"crapi-web", "mailhog"},
			notInternetFacing: []string{"gateway-service"},
		},
		radii: []radiusTruth{
			{from: "crapi-workshop", reaches: map[string]int{
				"postgresdb": 1, "mongodb": 1, "crapi-identity": 1, "gateway-service": 1, "api.mypremiumdealership.com": 1,
			}, classes: []graph.DataClass{graph.PII, graph.Credentials}, identities: -1},
		},
	},
	{
		app: "sock-shop",
		// Q3: orders reaches orders-db, payment, shipping and user (and
		// through user, customers and cards: PII and PCI). Q4: front-end
		// has no direct database access; PII and PCI are reachable through
		// the user and orders APIs. The ground truth's calls to carts are
		// hard-coded in source (no NetworkPolicy names carts), which
		// configuration cannot show.
		exposure: exposureTruth{
			internetFacing:    []string{"front-end"},
			notInternetFacing: []string{"orders", "shipping"},
		},
		radii: []radiusTruth{
			{from: "orders", reaches: map[string]int{"orders-db": 1, "payment": 1, "shipping": 1, "user": 1, "user-db": 2},
				classes: []graph.DataClass{graph.PII, graph.PCI}, identities: -1},
			{from: "front-end", reaches: map[string]int{"orders": 1, "catalogue": 1, "user": 1, "orders-db": 2, "user-db": 2},
				classes: []graph.DataClass{graph.PII, graph.PCI}, identities: -1},
		},
	},
	{
		app: "terragoat-aws",
		// Q1: db_app is internet-facing (port 80 open to the world). Q2:
		// through ec2role (s3:*, rds:* on *) it reaches every bucket and
		// every RDS cluster, and RDS default directly; PII. Q3: web_host
		// reaches its EBS volume and has no instance profile.
		exposure: exposureTruth{
			internetFacing: []string{"aws_instance.db_app"},
			unreachable:    []string{"aws_lambda_function.analysis_lambda"},
		},
		radii: []radiusTruth{
			{from: "aws_instance.db_app", reaches: map[string]int{
				"aws_db_instance.default": 1, "aws_iam_role.ec2role": 1,
				"aws_s3_bucket.data": 2, "aws_s3_bucket.financials": 2, "aws_s3_bucket.operations": 2, "aws_s3_bucket.data_science": 2,
				"aws_s3_bucket.logs": 2, "aws_s3_bucket.flowbucket": 2,
				"app1-rds-cluster": 2, "app5-rds-cluster": 2, "app9-rds-cluster": 2,
			}, classes: []graph.DataClass{graph.PII}, identities: 1},
			{from: "aws_instance.web_host", reaches: map[string]int{"aws_ebs_volume.web_host_storage": 1},
				stores: []string{"aws_ebs_volume.web_host_storage"}, identities: 0, below: "aws_instance.db_app"},
		},
	},
	{
		app: "aws-serverless-ecommerce",
		// Q2: the CreateOrder function's role can put items in the Orders
		// table only.
		radii: []radiusTruth{
			{from: "orders/CreateOrderFunction", reaches: map[string]int{"orders/Table": 1, "orders/CreateOrderFunctionRole": 1},
				stores: []string{"orders/Table"}, identities: -1},
		},
	},
}

// TestCorpusExposureAndBlastRadius loads each corpus application's
// discovered graph into a store and asks the scoring engine what its
// GROUND_TRUTH.md answers: which services are internet-facing (and which
// are not), and what a compromise of a named service reaches.
func TestCorpusExposureAndBlastRadius(t *testing.T) {
	ctx := context.Background()
	for _, tc := range scoringTruth {
		t.Run(tc.app, func(t *testing.T) {
			rep := discoverApp(t, filepath.Join(corpusDir(t), tc.app))
			rep.Batch.Scope, rep.Batch.Run = graph.Scope{Source: "test", Key: tc.app}, "r1"
			s, err := memdb.Open("", memdb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Apply(ctx, rep.Batch); err != nil {
				t.Fatal(err)
			}
			v, err := s.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			e := scoring.New(v, scoring.DefaultProfile())
			byName := map[string]graph.ID{}
			for _, n := range rep.Batch.Nodes {
				if _, dup := byName[n.Name]; !dup || n.Kind == graph.Service {
					byName[n.Name] = n.ID
				}
			}
			id := func(name string) graph.ID {
				t.Helper()
				id, ok := byName[name]
				if !ok {
					t.Fatalf("%s is not in the discovered graph", name)
				}
				return id
			}
			check := func(names []string, want func(scoring.Exposure) bool, what string) {
				for _, name := range names {
					x, err := e.Exposure(ctx, id(name))
					if err != nil {
						t.Fatal(err)
					}
					if !want(x) {
						t.Errorf("%s: want %s, got internet-facing %v, reachable %v (hops %d)", name, what, x.InternetFacing, x.Reachable, x.Hops)
					}
				}
			}
			check(tc.exposure.internetFacing, func(x scoring.Exposure) bool { return x.InternetFacing }, "internet-facing")
			check(tc.exposure.notInternetFacing, func(x scoring.Exposure) bool { return x.Reachable && !x.InternetFacing }, "reachable, not internet-facing")
			check(tc.exposure.unreachable, func(x scoring.Exposure) bool { return !x.Reachable }, "unreachable from the Internet")

			scores := map[string]float64{}
			for _, rt := range tc.radii {
				br, err := e.BlastRadius(ctx, []graph.ID{id(rt.from)}, 0)
				if err != nil {
					t.Fatal(err)
				}
				depth := map[string]int{}
				names := func(ids []graph.ID) []string {
					var out []string
					for _, r := range br.Reached {
						if slices.Contains(ids, r.Node) {
							out = append(out, r.Name)
						}
					}
					slices.Sort(out)
					return out
				}
				for _, r := range br.Reached {
					depth[r.Name] = r.Depth
				}
				for name, d := range rt.reaches {
					got, ok := depth[name]
					switch {
					case !ok:
						t.Errorf("%s: the radius does not reach %s", rt.from, name)
					case d >= 0 && got != d:
						t.Errorf("%s: reaches %s at depth %d, want %d", rt.from, name, got, d)
					}
				}
				if rt.stores != nil {
					if got := names(br.DataStores); !slices.Equal(got, sortedCopy(rt.stores)) {
						t.Errorf("%s: reaches data stores %v, want exactly %v", rt.from, got, rt.stores)
					}
				}
				if rt.services != nil {
					if got := names(br.Services); !slices.Equal(got, sortedCopy(rt.services)) {
						t.Errorf("%s: reaches services %v, want exactly %v", rt.from, got, rt.services)
					}
				}
				for _, c := range rt.classes {
					if !slices.Contains(br.DataClasses, c) {
						t.Errorf("%s: reachable data classes %v lack %s", rt.from, br.DataClasses, c)
					}
				}
				for _, c := range rt.noClasses {
					if slices.Contains(br.DataClasses, c) {
						t.Errorf("%s: reachable data classes %v include %s", rt.from, br.DataClasses, c)
					}
				}
				if rt.identities >= 0 && len(br.Identities) != rt.identities {
					t.Errorf("%s: reaches %d identities %v, want %d", rt.from, len(br.Identities), names(br.Identities), rt.identities)
				}
				scores[rt.from] = br.Score
				if hi, ok := scores[rt.below]; rt.below != "" && (!ok || br.Score >= hi) {
					t.Errorf("%s: radius score %.1f, want below %s's %.1f", rt.from, br.Score, rt.below, hi)
				}
				t.Logf("%s: %d nodes, %d services, %d data stores, classes %v, score %.1f", rt.from, len(br.Reached), len(br.Services), len(br.DataStores), br.DataClasses, br.Score)
			}
		})
	}
}

func sortedCopy(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}
