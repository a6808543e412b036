// Package demo is the demo estate: Larkspur, a fictional company that runs an
// online shop for health products (storefront), its own payments platform
// (payments) and a telehealth patient portal (patient-portal).
//
// The estate is described once, in Go, in this file. Two things are derived
// from that description, so they cannot disagree:
//
//   - the artifact files beside this file (Kubernetes YAML for prod,
//     docker-compose for staging, OpenAPI 3 specs, CycloneDX SBOMs, SQL DDL and
//     a SARIF scan), rendered by Artifacts and written by
//     `go generate ./testdata/demo` (internal/write); they are committed, and a
//     test in gen/ fails when they differ from what Artifacts renders;
//   - Batch, the graph the discovery agents should find in those files, built
//     with every node and edge pointing at the file and line that shows it.
//     `riskgraph demo` loads it, so the demo works before discovery exists,
//     and discovery tests can compare their output with it.
//
// Writing the artifacts by hand and checking them against a hand-written
// batch was the alternative; with one description the line numbers in the
// evidence come from the renderer itself and never drift.
//
// # Naming (natural keys, so discovery agents produce the same ids)
//
//   - Service: graph.ServiceID(env, name); name is the Deployment or compose
//     service name, env is "prod" (Kubernetes) or "staging" (compose).
//   - API: graph.APIID(service, method, path); path as written in the spec.
//   - Gateway: graph.GatewayID(env, name); name of the LoadBalancer Service
//     or the Ingress.
//   - DataStore: graph.DataStoreID(env, name); name is the first DNS label of
//     the host a workload connects to (shop-db.cluster-….rds.amazonaws.com →
//     shop-db), the bucket name for S3, the compose service name in compose.
//   - Identity: graph.IdentityID("k8s", "namespace/serviceaccount") and
//     graph.IdentityID("aws", roleARN).
//   - ThirdParty: graph.ThirdPartyID(host). Application: the
//     app.kubernetes.io/part-of label (or larkspur.example/applications, a
//     comma-separated list, for shared services). Team: larkspur.example/team.
//
// # Property names (the convention for discovery agents)
//
//	Service       namespace, workload ("Deployment" or "compose"), replicas (int),
//	              image, language, port (int), serviceAccount,
//	              secretRefs ([]string: secret names, never values),
//	              networkPolicies ([]string)
//	API           method, path, operationId, summary, authenticated (bool),
//	              protocol ("http"), requestFields, responseFields ([]string)
//	Gateway       type ("load-balancer", "ingress", "api-gateway"), public (bool),
//	              class (ingress class), hosts ([]string)
//	DataStore     engine, encrypted (bool), host, port (int), managed (bool),
//	              tables ([]string)
//	Package       purl, name, version, ecosystem (the purl type), licenses ([]string)
//	Vulnerability cvss (float64), severity, aliases ([]string), summary
//	Finding       tool, rule, severity, fingerprint, message,
//	              vulnerability (advisory id, scanner findings only)
//	Identity      provider ("k8s", "aws"), type ("service-account", "iam-role"), arn
//	ThirdParty    host, category
//	Application   criticality ("tier-1" most critical … "tier-3"), description
//	Team          contact
//	Image         ref, registry, tag
//	Repository    url, language
//	ROUTES_TO     hosts, pathPrefixes ([]string, gateway → service: every rule);
//	              host, pathPrefix (gateway → API: the rule that routes it);
//	              port (int, Internet → service/API through a published port)
//	CALLS         via (the env var that names the callee), port (int)
//	READS/WRITES  via (the env var that names the store)
//
// Severity strings are lower case: critical, high, medium, low.
//
// Exposure is kept as edges, never as a property: Internet -ROUTES_TO->
// public-lb -ROUTES_TO-> edge-ingress / api-gateway -ROUTES_TO-> Service
// and -ROUTES_TO-> each API of that service under the rule's path prefix. A
// compose port published on all interfaces is Internet -ROUTES_TO-> Service
// and -ROUTES_TO-> each of its APIs. So an API is internet-facing exactly
// when it is reachable from the Internet node over ROUTES_TO edges alone.
// Service -EXPOSES-> API for every operation.
//
// Packages: Service -DEPENDS_ON-> Package for the direct dependencies in its
// SBOM, Package -DEPENDS_ON-> Package for the rest of the tree; Service
// -RUNS_IMAGE-> Image -BUILT_FROM-> Repository. A service's dataClasses are
// the union of its operations' classes; a data store's come from its columns
// (SQL DDL) or, for caches, queues and buckets, from what is put there.
package demo

//go:generate go run ./internal/write

import (
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Fixed batch metadata, so the demo batch is byte-for-byte deterministic.
var (
	// ObservedAt is when the demo estate was "seen".
	ObservedAt = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	// Scope is the demo batch's scope.
	Scope = graph.Scope{Source: "demo", Key: "demo"}
	// Run is the demo batch's run id.
	Run = graph.RunID("demo-1")
)

// Root is where the artifact files live, relative to the module root; every
// Source.File in the batch starts with it.
const Root = "testdata/demo"

const (
	prod    = "prod"
	staging = "staging"

	registry  = "registry.larkspur.example"
	awsAcct   = "418273645501"
	stagingVM = "staging-1.larkspur.example"
)

type application struct {
	Name, Criticality, Description string
}

var applications = []application{
	{"storefront", "tier-2", "Online shop for supplements and home-care products"},
	{"payments", "tier-1", "Card payments, refunds, ledger and merchant payouts for every Larkspur product"},
	{"patient-portal", "tier-1", "Telehealth portal: patient records, appointments, lab results and co-pays"},
}

type team struct{ Name, Contact string }

var teams = []team{
	{"storefront", "storefront-oncall@larkspur.example"},
	{"payments", "payments-oncall@larkspur.example"},
	{"health", "health-eng@larkspur.example"},
	{"platform", "platform@larkspur.example"},
}

// op is one API operation. Fields are request and response body fields;
// their names decide the operation's data classes (see classify).
type op struct {
	Method, Path, ID, Summary string
	Public                    bool // no security requirement
	Query                     []string
	Req, Resp                 []string
}

// dep is one dependency a workload declares through an environment variable.
// Exactly one of Svc, Store, Third is set.
type dep struct {
	Env    string
	Svc    string // a service in the same environment
	Store  string // a prod data store name (mapped for staging, see stagingStore)
	Access string // "r", "w" or "rw" for stores
	Third  string // a third-party host
	Secret string // secret (by name) holding the credential for this dependency
}

// codebase is one repository and the service built from it.
type codebase struct {
	Name     string
	Apps     []string
	Team     string
	Language string
	Version  string // prod image tag
	Port     int
	External string // image of a third-party component: no repo, SBOM or spec
	Title    string
	Ops      []op
	Deps     []dep
	Pkgs     []string // direct dependencies (purls)
}

var codebases = []codebase{
	{Name: "web-frontend", Apps: []string{"storefront"}, Team: "storefront", Language: "node", Version: "2.14.0", Port: 3000,
		Title: "Storefront web app and its browser-facing API (backend for frontend)",
		Ops: []op{
			{Method: "GET", Path: "/", ID: "index", Summary: "Render the shop home page", Public: true},
			{Method: "GET", Path: "/api/products", ID: "listProducts", Summary: "List products", Public: true, Query: []string{"category", "page"}, Resp: []string{"sku", "title", "price", "imageUrl"}},
			{Method: "GET", Path: "/api/products/{sku}", ID: "getProduct", Summary: "Product details", Public: true, Resp: []string{"sku", "title", "description", "price", "stock"}},
			{Method: "GET", Path: "/api/cart", ID: "getCart", Summary: "Current cart", Resp: []string{"cartId", "items", "total"}},
			{Method: "POST", Path: "/api/cart/items", ID: "addCartItem", Summary: "Add an item to the cart", Req: []string{"sku", "quantity"}, Resp: []string{"cartId", "items", "total"}},
			{Method: "POST", Path: "/api/checkout", ID: "checkout", Summary: "Place an order and pay", Req: []string{"cartId", "email", "shippingAddress", "cardNumber", "cvv", "expiryMonth", "expiryYear", "cardholderName"}, Resp: []string{"orderId", "status"}},
			{Method: "POST", Path: "/api/login", ID: "login", Summary: "Sign in", Public: true, Req: []string{"email", "password"}, Resp: []string{"accessToken", "refreshToken"}},
			{Method: "POST", Path: "/api/signup", ID: "signup", Summary: "Create an account", Public: true, Req: []string{"email", "password", "fullName", "phone"}, Resp: []string{"customerId"}},
			{Method: "GET", Path: "/api/account", ID: "getAccount", Summary: "The signed-in customer's profile", Resp: []string{"customerId", "email", "fullName", "phone", "shippingAddress"}},
			{Method: "GET", Path: "/api/recommendations", ID: "getRecommendations", Summary: "Products picked for the visitor", Public: true, Resp: []string{"sku", "title", "score"}},
		},
		Deps: []dep{
			{Env: "CATALOG_SERVICE_URL", Svc: "catalog-service"},
			{Env: "CART_SERVICE_URL", Svc: "cart-service"},
			{Env: "CHECKOUT_SERVICE_URL", Svc: "checkout-service"},
			{Env: "CUSTOMER_SERVICE_URL", Svc: "customer-service"},
			{Env: "SEARCH_SERVICE_URL", Svc: "search-service"},
			{Env: "RECOMMENDATION_SERVICE_URL", Svc: "recommendation-service"},
			{Env: "AUTH_SERVICE_URL", Svc: "auth-service"},
			{Env: "SESSION_REDIS_ADDR", Store: "cart-cache", Access: "rw"},
		},
		Pkgs: []string{npmExpress, npmLodash, npmAxios, npmReact, npmHelmet, npmMkdirp},
	},
	{Name: "catalog-service", Apps: []string{"storefront"}, Team: "storefront", Language: "go", Version: "1.31.2", Port: 8080,
		Title: "Product catalog",
		Ops: []op{
			{Method: "GET", Path: "/v1/products", ID: "listProducts", Summary: "List products", Public: true, Query: []string{"category", "cursor"}, Resp: []string{"sku", "title", "price"}},
			{Method: "GET", Path: "/v1/products/{sku}", ID: "getProduct", Summary: "Get a product", Public: true, Resp: []string{"sku", "title", "description", "price", "stock"}},
			{Method: "POST", Path: "/v1/products", ID: "createProduct", Summary: "Create a product", Req: []string{"sku", "title", "description", "price"}, Resp: []string{"sku"}},
			{Method: "PUT", Path: "/v1/products/{sku}", ID: "updateProduct", Summary: "Replace a product", Req: []string{"title", "description", "price", "stock"}, Resp: []string{"sku"}},
			{Method: "DELETE", Path: "/v1/products/{sku}", ID: "deleteProduct", Summary: "Delete a product"},
			{Method: "GET", Path: "/v1/categories", ID: "listCategories", Summary: "List categories", Public: true, Resp: []string{"categoryId", "title"}},
		},
		Deps: []dep{{Env: "DATABASE_URL", Store: "shop-db", Access: "rw", Secret: "shop-db-catalog"}},
		Pkgs: []string{goGin, goPgx, goZap, goGrpc},
	},
	{Name: "cart-service", Apps: []string{"storefront"}, Team: "storefront", Language: "go", Version: "1.12.0", Port: 8080,
		Title: "Shopping carts",
		Ops: []op{
			{Method: "GET", Path: "/v1/carts/{cartId}", ID: "getCart", Summary: "Get a cart", Resp: []string{"cartId", "items", "total"}},
			{Method: "POST", Path: "/v1/carts/{cartId}/items", ID: "addItem", Summary: "Add an item", Req: []string{"sku", "quantity"}, Resp: []string{"cartId", "items", "total"}},
			{Method: "DELETE", Path: "/v1/carts/{cartId}/items/{sku}", ID: "removeItem", Summary: "Remove an item"},
			{Method: "DELETE", Path: "/v1/carts/{cartId}", ID: "emptyCart", Summary: "Empty a cart"},
		},
		Deps: []dep{{Env: "REDIS_ADDR", Store: "cart-cache", Access: "rw"}},
		Pkgs: []string{goGin, goRedis, goZap},
	},
	{Name: "checkout-service", Apps: []string{"storefront"}, Team: "storefront", Language: "go", Version: "1.40.1", Port: 8080,
		Title: "Checkout: turns a cart into an order and a payment",
		Ops: []op{
			{Method: "POST", Path: "/v1/checkout", ID: "placeOrder", Summary: "Place an order", Req: []string{"cartId", "customerId", "email", "shippingAddress", "billingAddress", "cardNumber", "cvv", "expiryMonth", "expiryYear", "cardholderName"}, Resp: []string{"orderId", "paymentId", "status"}},
			{Method: "POST", Path: "/v1/checkout/quote", ID: "quote", Summary: "Price a cart with shipping and tax", Req: []string{"cartId", "postalCode", "country"}, Resp: []string{"subtotal", "shipping", "tax", "total"}},
			{Method: "GET", Path: "/v1/checkout/{orderId}/status", ID: "getStatus", Summary: "Order status after checkout", Resp: []string{"orderId", "status"}},
		},
		Deps: []dep{
			{Env: "CART_SERVICE_ADDR", Svc: "cart-service"},
			{Env: "ORDER_SERVICE_ADDR", Svc: "order-service"},
			{Env: "PAYMENTS_API_URL", Svc: "payments-api"},
			{Env: "CUSTOMER_SERVICE_ADDR", Svc: "customer-service"},
			{Env: "NOTIFICATION_SERVICE_URL", Svc: "notification-service"},
			{Env: "KAFKA_BROKERS", Store: "events-kafka", Access: "w"},
		},
		Pkgs: []string{goGin, goGrpc, goKafka, goZap, goNet},
	},
	{Name: "order-service", Apps: []string{"storefront"}, Team: "storefront", Language: "go", Version: "1.22.4", Port: 8080,
		Title: "Orders",
		Ops: []op{
			{Method: "GET", Path: "/v1/orders", ID: "listOrders", Summary: "List orders", Query: []string{"status", "email"}, Resp: []string{"orderId", "customerId", "email", "total", "status"}},
			{Method: "POST", Path: "/v1/orders", ID: "createOrder", Summary: "Create an order", Req: []string{"customerId", "items", "shippingAddress", "total"}, Resp: []string{"orderId"}},
			{Method: "GET", Path: "/v1/orders/{orderId}", ID: "getOrder", Summary: "Get an order", Resp: []string{"orderId", "customerId", "items", "shippingAddress", "fullName", "total", "status"}},
			{Method: "PATCH", Path: "/v1/orders/{orderId}", ID: "updateOrder", Summary: "Update status or shipping address", Req: []string{"status", "shippingAddress"}, Resp: []string{"orderId", "status"}},
			{Method: "POST", Path: "/v1/orders/{orderId}/cancel", ID: "cancelOrder", Summary: "Cancel an order", Resp: []string{"orderId", "status"}},
			{Method: "GET", Path: "/v1/customers/{customerId}/orders", ID: "listCustomerOrders", Summary: "A customer's orders", Resp: []string{"orderId", "total", "status"}},
		},
		Deps: []dep{
			{Env: "DATABASE_URL", Store: "shop-db", Access: "rw", Secret: "shop-db-orders"},
			{Env: "KAFKA_BROKERS", Store: "events-kafka", Access: "w"},
			{Env: "NOTIFICATION_SERVICE_URL", Svc: "notification-service"},
		},
		Pkgs: []string{goGin, goPgx, goKafka, goZap},
	},
	{Name: "customer-service", Apps: []string{"storefront"}, Team: "storefront", Language: "go", Version: "1.8.3", Port: 8080,
		Title: "Customer accounts and addresses",
		Ops: []op{
			{Method: "POST", Path: "/v1/customers", ID: "createCustomer", Summary: "Register a customer", Req: []string{"email", "password", "fullName", "phone", "dateOfBirth"}, Resp: []string{"customerId"}},
			{Method: "GET", Path: "/v1/customers/{customerId}", ID: "getCustomer", Summary: "Get a customer", Resp: []string{"customerId", "email", "fullName", "phone", "dateOfBirth"}},
			{Method: "PATCH", Path: "/v1/customers/{customerId}", ID: "updateCustomer", Summary: "Update a customer", Req: []string{"email", "fullName", "phone"}, Resp: []string{"customerId"}},
			{Method: "DELETE", Path: "/v1/customers/{customerId}", ID: "deleteCustomer", Summary: "Erase a customer (GDPR)"},
			{Method: "GET", Path: "/v1/customers/{customerId}/addresses", ID: "listAddresses", Summary: "A customer's addresses", Resp: []string{"addressId", "street", "city", "postalCode", "country"}},
			{Method: "POST", Path: "/v1/customers/{customerId}/addresses", ID: "addAddress", Summary: "Add an address", Req: []string{"street", "city", "postalCode", "country"}, Resp: []string{"addressId"}},
			{Method: "GET", Path: "/v1/customers/search", ID: "searchCustomers", Summary: "Find customers by e-mail or phone", Query: []string{"email", "phone"}, Resp: []string{"customerId", "email", "fullName"}},
			{Method: "GET", Path: "/internal/customers/export", ID: "exportCustomers", Summary: "Nightly CRM export (meant for the cluster only)", Public: true, Query: []string{"since"}, Resp: []string{"customerId", "email", "fullName", "phone", "dateOfBirth", "street", "postalCode"}},
		},
		Deps: []dep{{Env: "DATABASE_URL", Store: "shop-db", Access: "rw", Secret: "shop-db-customers"}},
		Pkgs: []string{goGin, goPgx, goZap, goNet},
	},
	{Name: "search-service", Apps: []string{"storefront"}, Team: "storefront", Language: "go", Version: "0.9.7", Port: 8080,
		Title: "Product search",
		Ops: []op{
			{Method: "GET", Path: "/v1/search", ID: "search", Summary: "Full-text product search", Public: true, Query: []string{"q", "page"}, Resp: []string{"sku", "title", "score"}},
			{Method: "GET", Path: "/v1/suggest", ID: "suggest", Summary: "Search suggestions", Public: true, Query: []string{"q"}, Resp: []string{"suggestions"}},
		},
		Deps: []dep{{Env: "DATABASE_URL", Store: "shop-db", Access: "r", Secret: "shop-db-search"}},
		Pkgs: []string{goGin, goPgx, goZap},
	},
	{Name: "recommendation-service", Apps: []string{"storefront"}, Team: "storefront", Language: "java", Version: "4.2.0", Port: 8080,
		Title: "Product recommendations",
		Ops: []op{
			{Method: "GET", Path: "/v1/recommendations/{customerId}", ID: "recommend", Summary: "Recommendations for a customer", Resp: []string{"sku", "score"}},
			{Method: "POST", Path: "/v1/events", ID: "trackEvent", Summary: "Record a browsing event (logged with the User-Agent)", Req: []string{"customerId", "sku", "event", "userAgent", "ipAddress"}},
		},
		Deps: []dep{
			{Env: "CATALOG_SERVICE_URL", Svc: "catalog-service"},
			{Env: "KAFKA_BOOTSTRAP_SERVERS", Store: "events-kafka", Access: "r"},
		},
		Pkgs: []string{mvnLog4jCore, mvnKafkaClients},
	},
	{Name: "notification-service", Apps: []string{"storefront", "patient-portal"}, Team: "platform", Language: "python", Version: "3.0.5", Port: 8000,
		Title: "E-mail and SMS notifications",
		Ops: []op{
			{Method: "POST", Path: "/v1/notifications/email", ID: "sendEmail", Summary: "Send an e-mail", Req: []string{"email", "template", "variables"}, Resp: []string{"messageId"}},
			{Method: "POST", Path: "/v1/notifications/sms", ID: "sendSms", Summary: "Send a text message", Req: []string{"phone", "template", "variables"}, Resp: []string{"messageId"}},
		},
		Deps: []dep{
			{Env: "SENDGRID_API_URL", Third: "api.sendgrid.com", Secret: "sendgrid-api-key"},
			{Env: "TWILIO_API_URL", Third: "api.twilio.com", Secret: "twilio-credentials"},
			{Env: "KAFKA_BOOTSTRAP_SERVERS", Store: "events-kafka", Access: "r"},
		},
		Pkgs: []string{pyFastAPI, pyRequests, pyYAML},
	},
	{Name: "payments-api", Apps: []string{"payments"}, Team: "payments", Language: "go", Version: "3.2.0", Port: 8080,
		Title: "Payments: authorise, capture and refund card payments; store payment methods as processor tokens",
		Ops: []op{
			{Method: "POST", Path: "/v1/payments", ID: "createPayment", Summary: "Authorise a card payment", Req: []string{"orderId", "amount", "currency", "cardNumber", "cvv", "expiryMonth", "expiryYear", "cardholderName", "billingAddress"}, Resp: []string{"paymentId", "status", "cardLast4"}},
			{Method: "GET", Path: "/v1/payments/{paymentId}", ID: "getPayment", Summary: "Get a payment", Resp: []string{"paymentId", "orderId", "amount", "currency", "status", "cardLast4", "cardholderName"}},
			{Method: "POST", Path: "/v1/payments/{paymentId}/capture", ID: "capturePayment", Summary: "Capture an authorised payment", Req: []string{"amount"}, Resp: []string{"paymentId", "status"}},
			{Method: "POST", Path: "/v1/payments/{paymentId}/refunds", ID: "refundPayment", Summary: "Refund a payment", Req: []string{"amount", "reason"}, Resp: []string{"refundId", "status"}},
			{Method: "POST", Path: "/v1/payment-methods", ID: "createPaymentMethod", Summary: "Tokenise and save a card", Req: []string{"customerId", "cardNumber", "cvv", "expiryMonth", "expiryYear", "cardholderName"}, Resp: []string{"paymentMethodId", "cardLast4"}},
			{Method: "GET", Path: "/v1/payment-methods/{paymentMethodId}", ID: "getPaymentMethod", Summary: "Get a saved card", Resp: []string{"paymentMethodId", "cardLast4", "expiryMonth", "expiryYear", "cardholderName"}},
			{Method: "DELETE", Path: "/v1/payment-methods/{paymentMethodId}", ID: "deletePaymentMethod", Summary: "Delete a saved card"},
			{Method: "POST", Path: "/v1/webhooks/processor", ID: "processorWebhook", Summary: "Payment processor events (checked by HMAC signature, no bearer token)", Public: true, Req: []string{"type", "data"}},
			{Method: "GET", Path: "/healthz", ID: "health", Summary: "Liveness", Public: true},
		},
		Deps: []dep{
			{Env: "FRAUD_SERVICE_URL", Svc: "fraud-service"},
			{Env: "LEDGER_SERVICE_URL", Svc: "ledger-service"},
			{Env: "PAYMENT_PROCESSOR_URL", Third: "api.stripe.com", Secret: "stripe-secret-key"},
			{Env: "DATABASE_URL", Store: "payments-db", Access: "rw", Secret: "payments-db-credentials"},
		},
		Pkgs: []string{goGin, goPgx, goStripe, goJWT, goZap, goNet},
	},
	{Name: "fraud-service", Apps: []string{"payments"}, Team: "payments", Language: "java", Version: "2.7.1", Port: 8080,
		Title: "Fraud scoring",
		Ops: []op{
			{Method: "POST", Path: "/v1/score", ID: "scorePayment", Summary: "Score a payment for fraud", Req: []string{"paymentId", "amount", "email", "ipAddress", "cardFingerprint", "billingAddress"}, Resp: []string{"score", "decision"}},
			{Method: "GET", Path: "/v1/rules", ID: "listRules", Summary: "List fraud rules", Resp: []string{"ruleId", "expression", "action"}},
			{Method: "PUT", Path: "/v1/rules/{ruleId}", ID: "updateRule", Summary: "Change a rule", Req: []string{"expression", "action"}, Resp: []string{"ruleId"}},
		},
		Deps: []dep{{Env: "SPRING_DATASOURCE_URL", Store: "payments-db", Access: "r", Secret: "payments-db-fraud"}},
		Pkgs: []string{mvnSpringBootWeb, mvnJacksonDatabind},
	},
	{Name: "ledger-service", Apps: []string{"payments"}, Team: "payments", Language: "go", Version: "1.5.0", Port: 8080,
		Title: "Double-entry ledger and merchant payouts",
		Ops: []op{
			{Method: "POST", Path: "/v1/entries", ID: "postEntry", Summary: "Post a ledger entry", Req: []string{"accountId", "amount", "currency", "direction"}, Resp: []string{"entryId"}},
			{Method: "GET", Path: "/v1/accounts/{accountId}/balance", ID: "getBalance", Summary: "Account balance", Resp: []string{"accountId", "balance", "currency"}},
			{Method: "GET", Path: "/v1/accounts/{accountId}/entries", ID: "listEntries", Summary: "Account entries", Resp: []string{"entryId", "amount", "direction"}},
			{Method: "POST", Path: "/v1/payouts", ID: "createPayout", Summary: "Pay out to a merchant bank account", Req: []string{"merchantId", "amount", "iban", "accountNumber", "routingNumber"}, Resp: []string{"payoutId", "status"}},
		},
		Deps: []dep{{Env: "DATABASE_URL", Store: "payments-db", Access: "rw", Secret: "payments-db-ledger"}},
		Pkgs: []string{goGin, goPgx, goZap},
	},
	{Name: "refund-worker", Apps: []string{"payments"}, Team: "payments", Language: "go", Version: "1.1.2", Port: 9090,
		Title: "Consumes refund requests from Kafka and executes them at the processor",
		Deps: []dep{
			{Env: "KAFKA_BROKERS", Store: "events-kafka", Access: "r"},
			{Env: "DATABASE_URL", Store: "payments-db", Access: "w", Secret: "payments-db-refunds"},
			{Env: "PAYMENT_PROCESSOR_URL", Third: "api.stripe.com", Secret: "stripe-secret-key"},
		},
		Pkgs: []string{goKafka, goPgx, goStripe, goZap},
	},
	{Name: "portal-web", Apps: []string{"patient-portal"}, Team: "health", Language: "node", Version: "5.3.1", Port: 3000,
		Title: "Patient portal web app and its browser-facing API",
		Ops: []op{
			{Method: "GET", Path: "/", ID: "index", Summary: "Render the portal", Public: true},
			{Method: "POST", Path: "/api/login", ID: "login", Summary: "Sign in", Public: true, Req: []string{"email", "password", "mfaCode"}, Resp: []string{"accessToken"}},
			{Method: "POST", Path: "/api/register", ID: "register", Summary: "Register as a patient", Public: true, Req: []string{"email", "password", "fullName", "dateOfBirth", "phone", "insuranceMemberId"}, Resp: []string{"patientId"}},
			{Method: "GET", Path: "/api/me", ID: "me", Summary: "The signed-in patient", Resp: []string{"patientId", "email", "fullName", "dateOfBirth", "medicalRecordNumber"}},
			{Method: "GET", Path: "/api/appointments", ID: "listAppointments", Summary: "My appointments", Resp: []string{"appointmentId", "providerName", "startsAt", "reasonForVisit"}},
			{Method: "POST", Path: "/api/appointments", ID: "bookAppointment", Summary: "Book an appointment", Req: []string{"providerId", "startsAt", "reasonForVisit"}, Resp: []string{"appointmentId"}},
			{Method: "GET", Path: "/api/records", ID: "listRecords", Summary: "My medical records", Resp: []string{"recordId", "diagnosis", "icd10Code", "notedAt"}},
			{Method: "GET", Path: "/api/records/{recordId}/download", ID: "downloadRecord", Summary: "Download a record as PDF", Resp: []string{"document"}},
			{Method: "POST", Path: "/api/billing/copay", ID: "payCopay", Summary: "Pay a co-pay by card", Req: []string{"appointmentId", "amount", "cardNumber", "cvv", "expiryMonth", "expiryYear"}, Resp: []string{"paymentId", "status"}},
		},
		Deps: []dep{
			{Env: "AUTH_SERVICE_URL", Svc: "auth-service"},
			{Env: "PATIENT_SERVICE_URL", Svc: "patient-service"},
			{Env: "APPOINTMENT_SERVICE_URL", Svc: "appointment-service"},
			{Env: "RECORDS_SERVICE_URL", Svc: "records-service"},
			{Env: "PAYMENTS_API_URL", Svc: "payments-api"},
		},
		Pkgs: []string{npmExpress, npmLodash, npmAxios, npmReact, npmJWT},
	},
	{Name: "patient-service", Apps: []string{"patient-portal"}, Team: "health", Language: "python", Version: "2.4.0", Port: 8000,
		Title: "Patients, demographics and insurance (also serves the mobile app through the API gateway)",
		Ops: []op{
			{Method: "GET", Path: "/v1/patients", ID: "searchPatients", Summary: "Find patients by name and date of birth", Query: []string{"fullName", "dateOfBirth"}, Resp: []string{"patientId", "fullName", "dateOfBirth", "medicalRecordNumber"}},
			{Method: "POST", Path: "/v1/patients", ID: "createPatient", Summary: "Create a patient", Req: []string{"fullName", "dateOfBirth", "email", "phone", "ssn", "address"}, Resp: []string{"patientId", "medicalRecordNumber"}},
			{Method: "GET", Path: "/v1/patients/{patientId}", ID: "getPatient", Summary: "Get a patient", Resp: []string{"patientId", "fullName", "dateOfBirth", "email", "phone", "address", "medicalRecordNumber", "allergies"}},
			{Method: "PATCH", Path: "/v1/patients/{patientId}", ID: "updatePatient", Summary: "Update a patient", Req: []string{"email", "phone", "address"}, Resp: []string{"patientId"}},
			{Method: "GET", Path: "/v1/patients/{patientId}/insurance", ID: "getInsurance", Summary: "Insurance details", Resp: []string{"insuranceProvider", "insuranceMemberId", "groupNumber"}},
			{Method: "PUT", Path: "/v1/patients/{patientId}/insurance", ID: "setInsurance", Summary: "Replace insurance details", Req: []string{"insuranceProvider", "insuranceMemberId", "groupNumber"}, Resp: []string{"patientId"}},
		},
		Deps: []dep{{Env: "DATABASE_URL", Store: "health-db", Access: "rw", Secret: "health-db-patients"}},
		Pkgs: []string{pyFastAPI, pyPsycopg2, pyYAML},
	},
	{Name: "appointment-service", Apps: []string{"patient-portal"}, Team: "health", Language: "go", Version: "1.9.0", Port: 8080,
		Title: "Appointments and provider schedules",
		Ops: []op{
			{Method: "GET", Path: "/v1/appointments", ID: "listAppointments", Summary: "List appointments", Query: []string{"patientId", "providerId"}, Resp: []string{"appointmentId", "patientId", "providerId", "startsAt", "reasonForVisit"}},
			{Method: "POST", Path: "/v1/appointments", ID: "createAppointment", Summary: "Book an appointment", Req: []string{"patientId", "providerId", "startsAt", "reasonForVisit"}, Resp: []string{"appointmentId"}},
			{Method: "GET", Path: "/v1/appointments/{appointmentId}", ID: "getAppointment", Summary: "Get an appointment", Resp: []string{"appointmentId", "patientId", "providerId", "startsAt", "reasonForVisit", "clinicalNotes"}},
			{Method: "PATCH", Path: "/v1/appointments/{appointmentId}", ID: "updateAppointment", Summary: "Reschedule or add notes", Req: []string{"startsAt", "clinicalNotes"}, Resp: []string{"appointmentId"}},
			{Method: "DELETE", Path: "/v1/appointments/{appointmentId}", ID: "cancelAppointment", Summary: "Cancel an appointment"},
			{Method: "GET", Path: "/v1/providers", ID: "listProviders", Summary: "List care providers", Resp: []string{"providerId", "providerName", "specialty"}},
			{Method: "GET", Path: "/v1/providers/{providerId}/slots", ID: "listSlots", Summary: "Free slots of a provider", Resp: []string{"startsAt", "endsAt"}},
		},
		Deps: []dep{
			{Env: "PATIENT_SERVICE_URL", Svc: "patient-service"},
			{Env: "NOTIFICATION_SERVICE_URL", Svc: "notification-service"},
			{Env: "DATABASE_URL", Store: "health-db", Access: "rw", Secret: "health-db-appointments"},
		},
		Pkgs: []string{goGin, goPgx, goZap, goNet},
	},
	{Name: "records-service", Apps: []string{"patient-portal"}, Team: "health", Language: "python", Version: "1.14.2", Port: 8000,
		Title: "Medical records, diagnoses, lab results and documents",
		Ops: []op{
			{Method: "GET", Path: "/v1/records", ID: "listRecords", Summary: "A patient's records", Query: []string{"patientId"}, Resp: []string{"recordId", "diagnosis", "icd10Code", "notedAt"}},
			{Method: "POST", Path: "/v1/records", ID: "createRecord", Summary: "Add a record", Req: []string{"patientId", "diagnosis", "icd10Code", "clinicalNotes", "medications"}, Resp: []string{"recordId"}},
			{Method: "GET", Path: "/v1/records/{recordId}", ID: "getRecord", Summary: "Get a record", Resp: []string{"recordId", "patientId", "diagnosis", "icd10Code", "clinicalNotes", "medications"}},
			{Method: "GET", Path: "/v1/records/{recordId}/document", ID: "getDocument", Summary: "Signed URL of the scanned document", Resp: []string{"url", "expiresAt"}},
			{Method: "GET", Path: "/v1/records/search", ID: "searchRecords", Summary: "Search records by diagnosis text", Query: []string{"q", "patientId"}, Resp: []string{"recordId", "patientId", "diagnosis"}},
			{Method: "GET", Path: "/v1/lab-results/{patientId}", ID: "listLabResults", Summary: "Lab results of a patient", Resp: []string{"testName", "labResults", "collectedAt"}},
		},
		Deps: []dep{
			{Env: "PATIENT_SERVICE_URL", Svc: "patient-service"},
			{Env: "DATABASE_URL", Store: "health-db", Access: "rw", Secret: "health-db-records"},
			{Env: "RECORDS_BUCKET", Store: "larkspur-prod-medical-records", Access: "rw"},
		},
		Pkgs: []string{pyDjango, pyBoto3, pyPsycopg2},
	},
	{Name: "auth-service", Apps: []string{"storefront", "payments", "patient-portal"}, Team: "platform", Language: "go", Version: "2.0.3", Port: 8080,
		Title: "Sign-in, tokens and multi-factor authentication for every Larkspur product",
		Ops: []op{
			{Method: "POST", Path: "/v1/token", ID: "issueToken", Summary: "Exchange credentials for tokens", Public: true, Req: []string{"email", "password", "clientId", "clientSecret"}, Resp: []string{"accessToken", "refreshToken", "expiresIn"}},
			{Method: "POST", Path: "/v1/token/refresh", ID: "refreshToken", Summary: "Refresh an access token", Public: true, Req: []string{"refreshToken"}, Resp: []string{"accessToken", "expiresIn"}},
			{Method: "POST", Path: "/v1/token/revoke", ID: "revokeToken", Summary: "Revoke a token", Req: []string{"refreshToken"}},
			{Method: "GET", Path: "/.well-known/jwks.json", ID: "jwks", Summary: "Public signing keys", Public: true, Resp: []string{"keys"}},
			{Method: "POST", Path: "/v1/password/reset", ID: "resetPassword", Summary: "Send a password reset link", Public: true, Req: []string{"email"}},
			{Method: "POST", Path: "/v1/mfa/verify", ID: "verifyMfa", Summary: "Verify a one-time code", Req: []string{"mfaCode"}, Resp: []string{"accessToken"}},
			{Method: "GET", Path: "/v1/userinfo", ID: "userinfo", Summary: "Claims of the token's subject", Resp: []string{"subject", "email", "fullName"}},
		},
		Deps: []dep{{Env: "DATABASE_URL", Store: "shop-db", Access: "r", Secret: "shop-db-auth"}},
		Pkgs: []string{goGin, goPgx, goJWT, goZap},
	},
	{Name: "mock-processor", Apps: []string{"payments"}, Team: "payments", Language: "go", Port: 12111,
		External: "stripe/stripe-mock:v0.144.0",
		Title:    "Payment processor stub used in staging",
	},
}

// deployment places a codebase in an environment.
type deployment struct {
	Env, Name, Namespace string
	Replicas             int
	Tag                  string // overrides the codebase version
	Published            string // compose port mapping ("80:3000"), staging only
}

// Prod runs on Kubernetes (one namespace per application, plus platform);
// staging runs on one VM with docker compose.
var deployments = []deployment{
	{Env: prod, Name: "web-frontend", Namespace: "shop", Replicas: 4},
	{Env: prod, Name: "catalog-service", Namespace: "shop", Replicas: 3},
	{Env: prod, Name: "cart-service", Namespace: "shop", Replicas: 3},
	{Env: prod, Name: "checkout-service", Namespace: "shop", Replicas: 3},
	{Env: prod, Name: "order-service", Namespace: "shop", Replicas: 2},
	{Env: prod, Name: "customer-service", Namespace: "shop", Replicas: 2},
	{Env: prod, Name: "search-service", Namespace: "shop", Replicas: 2},
	{Env: prod, Name: "recommendation-service", Namespace: "shop", Replicas: 2},
	{Env: prod, Name: "notification-service", Namespace: "platform", Replicas: 2},
	{Env: prod, Name: "payments-api", Namespace: "payments", Replicas: 3},
	{Env: prod, Name: "fraud-service", Namespace: "payments", Replicas: 2},
	{Env: prod, Name: "ledger-service", Namespace: "payments", Replicas: 2},
	{Env: prod, Name: "refund-worker", Namespace: "payments", Replicas: 1},
	{Env: prod, Name: "portal-web", Namespace: "health", Replicas: 3},
	{Env: prod, Name: "patient-service", Namespace: "health", Replicas: 2},
	{Env: prod, Name: "appointment-service", Namespace: "health", Replicas: 2},
	{Env: prod, Name: "records-service", Namespace: "health", Replicas: 2},
	{Env: prod, Name: "auth-service", Namespace: "platform", Replicas: 3},

	{Env: staging, Name: "web-frontend", Tag: "2.15.0-rc.1", Published: "80:3000"},
	{Env: staging, Name: "catalog-service", Tag: "1.32.0-rc.2"},
	{Env: staging, Name: "cart-service", Tag: "1.12.0"},
	{Env: staging, Name: "checkout-service", Tag: "1.41.0-rc.1"},
	{Env: staging, Name: "payments-api", Tag: "3.3.0-rc.1", Published: "127.0.0.1:8081:8080"},
	{Env: staging, Name: "auth-service", Tag: "2.0.3"},
	{Env: staging, Name: "mock-processor"},
}

// namespaces of prod and what they hold.
var namespaces = []struct{ Name, App, Team string }{
	{"shop", "storefront", "storefront"},
	{"payments", "payments", "payments"},
	{"health", "patient-portal", "health"},
	{"platform", "", "platform"},
	{"ingress", "", "platform"},
}

// table is one SQL table; its column names decide the store's data classes.
type table struct {
	Name    string
	Columns []string
}

type store struct {
	Env, Name, Engine string
	Host              string // connection host (first label = Name)
	Port              int
	Database          string // database name in connection strings
	Encrypted         bool
	Managed           bool
	Classes           []graph.DataClass // what is put there, for stores without DDL
	Tables            []table
	Image             string // compose image (staging)
	Published         string // compose port mapping
}

var stores = []store{
	{Env: prod, Name: "shop-db", Engine: "postgresql", Host: "shop-db.cluster-cx1a2b3c4d5e.eu-west-1.rds.amazonaws.com", Port: 5432, Database: "shop", Encrypted: true, Managed: true,
		Tables: []table{
			{"customers", []string{"id", "email", "full_name", "phone", "date_of_birth", "created_at"}},
			{"addresses", []string{"id", "customer_id", "street", "city", "postal_code", "country"}},
			{"credentials", []string{"customer_id", "password_hash", "mfa_secret", "updated_at"}},
			{"orders", []string{"id", "customer_id", "total_amount", "currency", "status", "shipping_address", "created_at"}},
			{"order_items", []string{"order_id", "sku", "quantity", "unit_price"}},
			{"products", []string{"sku", "title", "description", "price", "stock"}},
		}},
	{Env: prod, Name: "cart-cache", Engine: "redis", Host: "cart-cache.x8k2pq.ng.0001.euw1.cache.amazonaws.com", Port: 6379, Encrypted: false, Managed: true,
		Classes: []graph.DataClass{graph.Credentials, graph.Internal}},
	{Env: prod, Name: "events-kafka", Engine: "kafka", Host: "events-kafka.c7x2rk.c3.kafka.eu-west-1.amazonaws.com", Port: 9092, Encrypted: true, Managed: true,
		Classes: []graph.DataClass{graph.PII, graph.Financial}},
	{Env: prod, Name: "payments-db", Engine: "postgresql", Host: "payments-db.cluster-cx1a2b3c4d5e.eu-west-1.rds.amazonaws.com", Port: 5432, Database: "payments", Encrypted: true, Managed: true,
		Tables: []table{
			{"payments", []string{"id", "order_id", "amount", "currency", "status", "processor_ref", "created_at"}},
			{"payment_methods", []string{"id", "customer_id", "processor_token", "card_fingerprint", "card_last4", "expiry_month", "expiry_year", "cardholder_name"}},
			{"ledger_entries", []string{"id", "account_id", "amount", "direction", "created_at"}},
			{"payout_accounts", []string{"id", "merchant_id", "iban", "account_number", "routing_number"}},
			{"refunds", []string{"id", "payment_id", "amount", "status", "created_at"}},
		}},
	{Env: prod, Name: "health-db", Engine: "postgresql", Host: "health-db.cluster-cx1a2b3c4d5e.eu-west-1.rds.amazonaws.com", Port: 5432, Database: "health", Encrypted: true, Managed: true,
		Tables: []table{
			{"patients", []string{"id", "medical_record_number", "full_name", "date_of_birth", "email", "phone", "ssn", "address"}},
			{"insurance", []string{"patient_id", "insurance_provider", "insurance_member_id", "group_number"}},
			{"appointments", []string{"id", "patient_id", "provider_id", "starts_at", "reason_for_visit", "clinical_notes"}},
			{"diagnoses", []string{"id", "patient_id", "icd10_code", "diagnosis", "noted_at"}},
			{"prescriptions", []string{"id", "patient_id", "medication", "dosage"}},
		}},
	{Env: prod, Name: "larkspur-prod-medical-records", Engine: "s3", Host: "larkspur-prod-medical-records.s3.eu-west-1.amazonaws.com", Port: 443, Encrypted: true, Managed: true,
		Classes: []graph.DataClass{graph.PHI, graph.PII}},
	// Staging's database was restored from a prod snapshot in 2025 and still
	// holds real customer data, card numbers included, unencrypted.
	{Env: staging, Name: "shop-db", Engine: "postgresql", Host: "shop-db", Port: 5432, Database: "shop", Image: "postgres:13.4", Published: "5432:5432",
		Tables: []table{
			{"customers", []string{"id", "email", "full_name", "phone", "date_of_birth", "created_at"}},
			{"credentials", []string{"customer_id", "password_hash", "mfa_secret", "updated_at"}},
			{"orders", []string{"id", "customer_id", "total_amount", "currency", "status", "shipping_address", "created_at"}},
			{"products", []string{"sku", "title", "description", "price", "stock"}},
			{"payment_methods", []string{"id", "customer_id", "card_number", "expiry_month", "expiry_year", "cardholder_name"}},
		}},
	{Env: staging, Name: "cart-cache", Engine: "redis", Host: "cart-cache", Port: 6379, Image: "redis:6.2.6", Published: "127.0.0.1:6379:6379",
		Classes: []graph.DataClass{graph.Credentials, graph.Internal}},
}

// stagingStore maps a prod store a codebase names to the staging store that
// stands in for it ("" when staging has none).
var stagingStore = map[string]string{
	"shop-db":     "shop-db",
	"payments-db": "shop-db",
	"cart-cache":  "cart-cache",
}

// stagingThird maps a third party to the staging service that stubs it.
var stagingThird = map[string]string{"api.stripe.com": "mock-processor"}

type thirdParty struct{ Host, Name, Category string }

var thirdParties = []thirdParty{
	{"api.stripe.com", "Stripe", "payment-processor"},
	{"api.sendgrid.com", "SendGrid", "email"},
	{"api.twilio.com", "Twilio", "sms"},
}

// gateway is a prod gateway. Rules route host+prefix to a service.
type gateway struct {
	Name, Type, Class string
	Public            bool
	From              string // the gateway in front of it ("" = the Internet)
	Rules             []rule
}

type rule struct {
	Host, Prefix, Service, Namespace string
}

var gateways = []gateway{
	{Name: "public-lb", Type: "load-balancer", Public: true},
	{Name: "edge-ingress", Type: "ingress", Class: "nginx", From: "public-lb", Rules: []rule{
		{"shop.larkspur.example", "/", "web-frontend", "shop"},
		{"portal.larkspur.example", "/", "portal-web", "health"},
	}},
	{Name: "api-gateway", Type: "api-gateway", Class: "kong", From: "public-lb", Rules: []rule{
		{"api.larkspur.example", "/v1/checkout", "checkout-service", "shop"},
		{"api.larkspur.example", "/v1/token", "auth-service", "platform"},
		{"api.larkspur.example", "/.well-known", "auth-service", "platform"},
		{"api.larkspur.example", "/v1/webhooks", "payments-api", "payments"},
		{"api.larkspur.example", "/v1/patients", "patient-service", "health"},
		// Added for a CRM partner's pilot in 2024 and never narrowed: it
		// also publishes customer-service's /internal export.
		{"partners.larkspur.example", "/", "customer-service", "shop"},
	}},
}

// iamRoles are the AWS roles bound to service accounts (IRSA) and what they
// may reach.
var iamRoles = []struct {
	Service, Role string
	Access        []string // store names
}{
	{"payments-api", "payments-api-prod", []string{"payments-db"}},
	{"refund-worker", "refund-worker-prod", []string{"payments-db"}},
	{"records-service", "records-service-prod", []string{"larkspur-prod-medical-records", "health-db"}},
}

// networkPolicies in prod, by namespace: who may reach the selected
// services. The health namespace has none (a finding).
var networkPolicies = []struct {
	Namespace, Name string
	Services        []string // selected pods
	FromNamespaces  []string
}{
	{"payments", "payments-api-ingress", []string{"payments-api"}, []string{"shop", "health", "ingress"}},
	{"payments", "payments-internal", []string{"fraud-service", "ledger-service"}, []string{"payments"}},
	{"shop", "shop-default", []string{"catalog-service", "cart-service", "order-service", "search-service", "recommendation-service"}, []string{"shop"}},
}
