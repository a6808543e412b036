module example.com/cart

go 1.21

require (
	github.com/gin-gonic/gin v1.9.1
	go.uber.org/zap v1.24.0
)
