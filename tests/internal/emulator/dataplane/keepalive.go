package dataplane

import (
	"net"
	"sync"
	"time"
)

// finFlight is how long the FIN of a connection a target closes takes to reach the load balancer: a
// round trip between an ALB node and a target in another Availability Zone. A request the load
// balancer sends on the connection meanwhile reaches a socket nobody reads any more, which then
// resets it, and the load balancer answers 502. AWS: "if the application closes the TCP connection to
// the load balancer ungracefully, the load balancer might send a request to the application before
// it receives the packet indicating that the connection is closed. If this is the case, then the load
// balancer sends an HTTP 502 Bad Gateway error to the client" (Connection idle timeout, ALB guide).
// On loopback the packet would arrive within microseconds and the race would all but vanish.
const finFlight = time.Millisecond

// finListener hands out connections whose close reaches the peer finFlight late.
type finListener struct{ net.Listener }

func (l finListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &finConn{Conn: c}, nil
}

// finConn is a server-side connection whose Close takes effect finFlight later; the server has
// stopped reading it, so whatever arrives meanwhile is reset at the close.
type finConn struct {
	net.Conn
	once sync.Once
}

func (c *finConn) Close() error {
	c.once.Do(func() { time.AfterFunc(finFlight, func() { _ = c.Conn.Close() }) })
	return nil
}
