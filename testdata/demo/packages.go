package demo

import "github.com/riskgraph/riskgraph/graph"

// Package URLs of the estate's dependencies. The vulnerable versions and
// their advisories are real; so are the licenses.
const (
	npmExpress    = "pkg:npm/express@4.17.1"
	npmBodyParser = "pkg:npm/body-parser@1.19.0"
	npmQs         = "pkg:npm/qs@6.7.0"
	npmCookie     = "pkg:npm/cookie@0.4.0"
	npmLodash     = "pkg:npm/lodash@4.17.20"
	npmAxios      = "pkg:npm/axios@0.21.0"
	npmFollow     = "pkg:npm/follow-redirects@1.13.0"
	npmReact      = "pkg:npm/react@17.0.2"
	npmLooseEnv   = "pkg:npm/loose-envify@1.4.0"
	npmJsTokens   = "pkg:npm/js-tokens@4.0.0"
	npmHelmet     = "pkg:npm/helmet@4.6.0"
	npmMkdirp     = "pkg:npm/mkdirp@0.5.5"
	npmMinimist   = "pkg:npm/minimist@1.2.5"
	npmJWT        = "pkg:npm/jsonwebtoken@9.0.0"
	npmSemver     = "pkg:npm/semver@7.3.8"
	npmMs         = "pkg:npm/ms@2.1.3"

	goGin      = "pkg:golang/github.com/gin-gonic/gin@v1.9.1"
	goPgx      = "pkg:golang/github.com/jackc/pgx/v5@v5.4.3"
	goRedis    = "pkg:golang/github.com/redis/go-redis/v9@v9.0.5"
	goGrpc     = "pkg:golang/google.golang.org/grpc@v1.56.2"
	goProtobuf = "pkg:golang/google.golang.org/protobuf@v1.31.0"
	goKafka    = "pkg:golang/github.com/segmentio/kafka-go@v0.4.42"
	goZap      = "pkg:golang/go.uber.org/zap@v1.24.0"
	goMultierr = "pkg:golang/go.uber.org/multierr@v1.11.0"
	goNet      = "pkg:golang/golang.org/x/net@v0.7.0"
	goText     = "pkg:golang/golang.org/x/text@v0.7.0"
	goStripe   = "pkg:golang/github.com/stripe/stripe-go/v74@v74.30.0"
	goJWT      = "pkg:golang/github.com/golang-jwt/jwt/v4@v4.5.0"
	goCrypto   = "pkg:golang/golang.org/x/crypto@v0.6.0"

	mvnLog4jCore       = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
	mvnLog4jAPI        = "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"
	mvnKafkaClients    = "pkg:maven/org.apache.kafka/kafka-clients@2.8.0"
	mvnSnappy          = "pkg:maven/org.xerial.snappy/snappy-java@1.1.8.1"
	mvnSpringBootWeb   = "pkg:maven/org.springframework.boot/spring-boot-starter-web@2.6.5"
	mvnSpringWebmvc    = "pkg:maven/org.springframework/spring-webmvc@5.3.17"
	mvnSpringBeans     = "pkg:maven/org.springframework/spring-beans@5.3.17"
	mvnSpringCore      = "pkg:maven/org.springframework/spring-core@5.3.17"
	mvnTomcatEmbed     = "pkg:maven/org.apache.tomcat.embed/tomcat-embed-core@9.0.60"
	mvnJacksonDatabind = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.1"
	mvnJacksonCore     = "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.9.10"
	mvnJacksonAnnot    = "pkg:maven/com.fasterxml.jackson.core/jackson-annotations@2.9.10"

	pyFastAPI   = "pkg:pypi/fastapi@0.85.0"
	pyPydantic  = "pkg:pypi/pydantic@1.10.2"
	pyStarlette = "pkg:pypi/starlette@0.20.4"
	pyAnyio     = "pkg:pypi/anyio@3.6.1"
	pyRequests  = "pkg:pypi/requests@2.28.1"
	pyUrllib3   = "pkg:pypi/urllib3@1.26.12"
	pyCertifi   = "pkg:pypi/certifi@2022.9.24"
	pyIdna      = "pkg:pypi/idna@3.4"
	pyYAML      = "pkg:pypi/pyyaml@5.3.1"
	pyDjango    = "pkg:pypi/django@3.2.12"
	pyAsgiref   = "pkg:pypi/asgiref@3.5.0"
	pySqlparse  = "pkg:pypi/sqlparse@0.4.2"
	pyBoto3     = "pkg:pypi/boto3@1.24.89"
	pyBotocore  = "pkg:pypi/botocore@1.27.89"
	pyPsycopg2  = "pkg:pypi/psycopg2@2.9.3"
)

type pkg struct {
	Purl     string
	Licenses []string
	Deps     []string
}

var packages = []pkg{
	{npmExpress, []string{"MIT"}, []string{npmBodyParser, npmCookie, npmQs}},
	{npmBodyParser, []string{"MIT"}, []string{npmQs}},
	{npmQs, []string{"BSD-3-Clause"}, nil},
	{npmCookie, []string{"MIT"}, nil},
	{npmLodash, []string{"MIT"}, nil},
	{npmAxios, []string{"MIT"}, []string{npmFollow}},
	{npmFollow, []string{"MIT"}, nil},
	{npmReact, []string{"MIT"}, []string{npmLooseEnv}},
	{npmLooseEnv, []string{"MIT"}, []string{npmJsTokens}},
	{npmJsTokens, []string{"MIT"}, nil},
	{npmHelmet, []string{"MIT"}, nil},
	{npmMkdirp, []string{"MIT"}, []string{npmMinimist}},
	{npmMinimist, []string{"MIT"}, nil},
	{npmJWT, []string{"MIT"}, []string{npmSemver, npmMs}},
	{npmSemver, []string{"ISC"}, nil},
	{npmMs, []string{"MIT"}, nil},

	{goGin, []string{"MIT"}, []string{goNet}},
	{goPgx, []string{"MIT"}, []string{goCrypto, goText}},
	{goRedis, []string{"BSD-2-Clause"}, nil},
	{goGrpc, []string{"Apache-2.0"}, []string{goNet, goProtobuf}},
	{goProtobuf, []string{"BSD-3-Clause"}, nil},
	{goKafka, []string{"MIT"}, nil},
	{goZap, []string{"MIT"}, []string{goMultierr}},
	{goMultierr, []string{"MIT"}, nil},
	{goNet, []string{"BSD-3-Clause"}, []string{goText}},
	{goText, []string{"BSD-3-Clause"}, nil},
	{goStripe, []string{"MIT"}, nil},
	{goJWT, []string{"MIT"}, nil},
	{goCrypto, []string{"BSD-3-Clause"}, nil},

	{mvnLog4jCore, []string{"Apache-2.0"}, []string{mvnLog4jAPI}},
	{mvnLog4jAPI, []string{"Apache-2.0"}, nil},
	{mvnKafkaClients, []string{"Apache-2.0"}, []string{mvnSnappy}},
	{mvnSnappy, []string{"Apache-2.0"}, nil},
	{mvnSpringBootWeb, []string{"Apache-2.0"}, []string{mvnSpringWebmvc, mvnTomcatEmbed}},
	{mvnSpringWebmvc, []string{"Apache-2.0"}, []string{mvnSpringBeans, mvnSpringCore}},
	{mvnSpringBeans, []string{"Apache-2.0"}, []string{mvnSpringCore}},
	{mvnSpringCore, []string{"Apache-2.0"}, nil},
	{mvnTomcatEmbed, []string{"Apache-2.0"}, nil},
	{mvnJacksonDatabind, []string{"Apache-2.0"}, []string{mvnJacksonCore, mvnJacksonAnnot}},
	{mvnJacksonCore, []string{"Apache-2.0"}, nil},
	{mvnJacksonAnnot, []string{"Apache-2.0"}, nil},

	{pyFastAPI, []string{"MIT"}, []string{pyPydantic, pyStarlette}},
	{pyPydantic, []string{"MIT"}, nil},
	{pyStarlette, []string{"BSD-3-Clause"}, []string{pyAnyio}},
	{pyAnyio, []string{"MIT"}, []string{pyIdna}},
	{pyRequests, []string{"Apache-2.0"}, []string{pyUrllib3, pyCertifi, pyIdna}},
	{pyUrllib3, []string{"MIT"}, nil},
	{pyCertifi, []string{"MPL-2.0"}, nil},
	{pyIdna, []string{"BSD-3-Clause"}, nil},
	{pyYAML, []string{"MIT"}, nil},
	{pyDjango, []string{"BSD-3-Clause"}, []string{pyAsgiref, pySqlparse}},
	{pyAsgiref, []string{"BSD-3-Clause"}, nil},
	{pySqlparse, []string{"BSD-3-Clause"}, nil},
	{pyBoto3, []string{"Apache-2.0"}, []string{pyBotocore}},
	{pyBotocore, []string{"Apache-2.0"}, []string{pyUrllib3}},
	{pyPsycopg2, []string{"LGPL-3.0-or-later"}, nil},
}

type vulnerability struct {
	ID       string
	CVSS     float64
	Severity string
	Aliases  []string
	Summary  string
	Packages []string
}

// Only aliases that are certain are listed.
var vulnerabilities = []vulnerability{
	{"CVE-2021-44228", 10.0, "critical", []string{"GHSA-jfh8-c2jp-5v3q"}, "Log4Shell: remote code execution through JNDI lookups in logged strings", []string{mvnLog4jCore}},
	{"CVE-2021-45046", 9.0, "critical", []string{"GHSA-7rjr-3q55-vv33"}, "Incomplete fix for CVE-2021-44228 in certain non-default configurations", []string{mvnLog4jCore}},
	{"CVE-2022-22965", 9.8, "critical", []string{"GHSA-36p3-wjmg-h94x"}, "Spring4Shell: remote code execution through data binding on JDK 9+", []string{mvnSpringBeans}},
	{"CVE-2020-8840", 9.8, "critical", nil, "jackson-databind polymorphic typing gadget (xbean-reflect) allows remote code execution", []string{mvnJacksonDatabind}},
	{"CVE-2019-20330", 9.8, "critical", nil, "jackson-databind polymorphic typing gadget (ehcache) allows remote code execution", []string{mvnJacksonDatabind}},
	{"CVE-2021-23337", 7.2, "high", []string{"GHSA-35jh-r3h4-6jhm"}, "lodash command injection through template", []string{npmLodash}},
	{"CVE-2021-44906", 9.8, "critical", []string{"GHSA-xvch-5gv4-984h"}, "minimist prototype pollution", []string{npmMinimist}},
	{"CVE-2020-28168", 5.9, "medium", []string{"GHSA-4w2v-q235-vp99"}, "axios server-side request forgery through redirects", []string{npmAxios}},
	{"CVE-2023-39325", 7.5, "high", []string{"GHSA-4374-p667-p6c8", "GO-2023-2102"}, "HTTP/2 rapid reset can cause excessive work in net/http servers", []string{goNet}},
	{"CVE-2020-14343", 9.8, "critical", []string{"GHSA-8q59-q68h-6hv4"}, "PyYAML arbitrary code execution through full_load and FullLoader", []string{pyYAML}},
	{"CVE-2022-28346", 9.8, "critical", nil, "Django SQL injection in QuerySet.annotate(), aggregate() and extra()", []string{pyDjango}},
}

// finding is one scanner result. Target names the node it is about.
type finding struct {
	Tool, Rule, Severity, Title, Message string
	Vulnerability                        string // advisory, for scanner findings
	Target                               target
	Location                             string // uri the tool reports
	LocationLine                         int
	Classes                              []graph.DataClass
}

type target struct {
	Kind                    graph.Kind
	Env, Name, Method, Path string
}

var findings = []finding{
	{Tool: "trivy", Rule: "CVE-2021-44228", Severity: "critical", Title: "log4j-core 2.14.1: Log4Shell remote code execution",
		Message:       "Package org.apache.logging.log4j:log4j-core 2.14.1 in the image is affected by CVE-2021-44228; fixed in 2.15.0 (2.17.1 recommended).",
		Vulnerability: "CVE-2021-44228", Target: target{Kind: graph.Service, Env: prod, Name: "recommendation-service"},
		Location: registry + "/shop/recommendation-service:4.2.0"},
	{Tool: "trivy", Rule: "CVE-2022-22965", Severity: "critical", Title: "spring-beans 5.3.17: Spring4Shell",
		Message:       "Package org.springframework:spring-beans 5.3.17 in the image is affected by CVE-2022-22965; fixed in 5.3.18.",
		Vulnerability: "CVE-2022-22965", Target: target{Kind: graph.Service, Env: prod, Name: "fraud-service"},
		Location: registry + "/payments/fraud-service:2.7.1"},
	{Tool: "trivy", Rule: "CVE-2021-23337", Severity: "high", Title: "lodash 4.17.20: command injection",
		Message:       "Package lodash 4.17.20 in the image is affected by CVE-2021-23337; fixed in 4.17.21.",
		Vulnerability: "CVE-2021-23337", Target: target{Kind: graph.Service, Env: prod, Name: "web-frontend"},
		Location: registry + "/shop/web-frontend:2.14.0"},
	{Tool: "semgrep", Rule: "python.django.security.injection.sql.sql-injection-using-raw", Severity: "high", Title: "SQL built from request input in records search",
		Message:  "User-controlled 'q' is formatted into a raw SQL query passed to Record.objects.raw(); use query parameters.",
		Target:   target{Kind: graph.API, Env: prod, Name: "records-service", Method: "GET", Path: "/v1/records/search"},
		Location: "records/views.py", LocationLine: 88, Classes: []graph.DataClass{graph.PHI}},
	{Tool: "zap", Rule: "unauthenticated-sensitive-endpoint", Severity: "high", Title: "Customer export reachable without authentication",
		Message:  "GET https://partners.larkspur.example/internal/customers/export returned 200 with e-mail addresses and dates of birth without credentials.",
		Target:   target{Kind: graph.API, Env: prod, Name: "customer-service", Method: "GET", Path: "/internal/customers/export"},
		Location: "https://partners.larkspur.example/internal/customers/export", Classes: []graph.DataClass{graph.PII}},
	{Tool: "gitleaks", Rule: "stripe-access-token", Severity: "high", Title: "Stripe secret key committed to the payments-api repository",
		Message:  "A live Stripe secret key was committed in config/processor.go (value redacted; fingerprint only).",
		Target:   target{Kind: graph.Repository, Name: "github.com/larkspur/payments-api"},
		Location: "config/processor.go", LocationLine: 12, Classes: []graph.DataClass{graph.Credentials}},
	{Tool: "kube-linter", Rule: "run-as-non-root", Severity: "medium", Title: "refund-worker runs as root",
		Message:  "Container refund-worker is not set to runAsNonRoot.",
		Target:   target{Kind: graph.Service, Env: prod, Name: "refund-worker"},
		Location: Root + "/k8s/prod/payments/refund-worker.yaml"},
	{Tool: "kube-linter", Rule: "no-network-policy", Severity: "medium", Title: "No NetworkPolicy selects records-service",
		Message:  "Namespace health has no NetworkPolicy: every pod in the cluster can reach records-service.",
		Target:   target{Kind: graph.Service, Env: prod, Name: "records-service"},
		Location: Root + "/k8s/prod/health/records-service.yaml"},
	{Tool: "compose-lint", Rule: "port-published-on-all-interfaces", Severity: "high", Title: "Staging PostgreSQL published on all interfaces",
		Message:  "shop-db publishes 5432 on 0.0.0.0 of " + stagingVM + "; bind it to 127.0.0.1 or drop the mapping.",
		Target:   target{Kind: graph.DataStore, Env: staging, Name: "shop-db"},
		Location: Root + "/compose/staging/docker-compose.yaml", Classes: []graph.DataClass{graph.PII, graph.PCI}},
}

// classify maps a field or column name to its data class. Names are
// compared without case, underscores or dashes, so date_of_birth and
// dateOfBirth are the same. It is the demo's own small table, not the
// discovery classifier; the test in gen/ checks every sensitive name the
// estate uses is here.
func classify(name string) (graph.DataClass, bool) {
	c, ok := classes[normName(name)]
	return c, ok
}

var classes = map[string]graph.DataClass{
	"email": graph.PII, "fullname": graph.PII, "phone": graph.PII, "dateofbirth": graph.PII,
	"street": graph.PII, "postalcode": graph.PII, "address": graph.PII, "shippingaddress": graph.PII,
	"billingaddress": graph.PII, "ssn": graph.PII, "ipaddress": graph.PII, "useragent": graph.PII,

	"cardnumber": graph.PCI, "cvv": graph.PCI, "expirymonth": graph.PCI, "expiryyear": graph.PCI,
	"cardholdername": graph.PCI, "cardfingerprint": graph.PCI,

	"diagnosis": graph.PHI, "icd10code": graph.PHI, "medicalrecordnumber": graph.PHI,
	"insurancememberid": graph.PHI, "insuranceprovider": graph.PHI, "clinicalnotes": graph.PHI,
	"medications": graph.PHI, "medication": graph.PHI, "allergies": graph.PHI, "labresults": graph.PHI,
	"reasonforvisit": graph.PHI, "document": graph.PHI,

	"password": graph.Credentials, "passwordhash": graph.Credentials, "accesstoken": graph.Credentials,
	"refreshtoken": graph.Credentials, "clientsecret": graph.Credentials, "mfacode": graph.Credentials,
	"mfasecret": graph.Credentials, "processortoken": graph.Credentials,

	"iban": graph.Financial, "accountnumber": graph.Financial, "routingnumber": graph.Financial,
}

func normName(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || c == '-':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}
