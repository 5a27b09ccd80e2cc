#include "tcp.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace codesync::net {
namespace {

// Binds the (not yet connected) handle to a local address. The socket is made
// here rather than by uv_tcp_bind so that IP_BIND_ADDRESS_NO_PORT can be set
// first: the port is then chosen at connect time from the 4-tuple, not
// reserved at bind time, so binding does not exhaust the port range.
int BindLocal(uv_tcp_t* tcp, const std::string& bind_host, int family) {
  sockaddr_storage local{};
  if (family == AF_INET) {
    if (int rc = uv_ip4_addr(bind_host.c_str(), 0, reinterpret_cast<sockaddr_in*>(&local)); rc != 0) return rc;
  } else {
    if (int rc = uv_ip6_addr(bind_host.c_str(), 0, reinterpret_cast<sockaddr_in6*>(&local)); rc != 0) return rc;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_translate_sys_error(errno);
#ifdef IP_BIND_ADDRESS_NO_PORT
  int one = 1;
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
  socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0) {
    int rc = uv_translate_sys_error(errno);
    close(fd);
    return rc;
  }
  if (int rc = uv_tcp_open(tcp, fd); rc != 0) {
    close(fd);
    return rc;
  }
  return 0;
}

constexpr size_t kKeepCapacity = 16 * 1024;  // WriteFrom's buffer is kept up to this size

struct WriteReq {
  uv_write_t req;
  std::string bytes;
  TcpConn* conn;
};

}  // namespace

TcpConn::TcpConn(uv_loop_t* loop) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
}

TcpConn* TcpConn::Accept(uv_stream_t* server) {
  auto* conn = new TcpConn(server->loop);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&conn->tcp_)) != 0) {
    conn->Close();
    return nullptr;
  }
  uv_tcp_nodelay(&conn->tcp_, 1);
  return conn;
}

TcpConn* TcpConn::Connect(uv_loop_t* loop, const std::string& host, int port, ConnectFn on_connected,
                          const std::string& bind_host) {
  auto* conn = new TcpConn(loop);
  conn->on_connected_ = std::move(on_connected);
  conn->port_ = port;
  conn->bind_host_ = bind_host;
  struct Resolve {
    uv_getaddrinfo_t req;
    TcpConn* conn;
  };
  auto* resolve = new Resolve{{}, conn};
  resolve->req.data = resolve;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  auto fail = [](TcpConn* c, int status) {
    ConnectFn fn = std::move(c->on_connected_);
    c->Close();
    if (fn) fn(status);
  };
  int rc = uv_getaddrinfo(
      loop, &resolve->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
        auto* r = static_cast<Resolve*>(req->data);
        TcpConn* c = r->conn;
        delete r;
        auto fail = [](TcpConn* c, int status) {
          ConnectFn fn = std::move(c->on_connected_);
          c->Close();
          if (fn) fn(status);
        };
        if (status != 0 || res == nullptr) {
          if (res) uv_freeaddrinfo(res);
          fail(c, status != 0 ? status : UV_EAI_NONAME);
          return;
        }
        sockaddr_storage addr{};
        std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
        uv_freeaddrinfo(res);
        if (addr.ss_family == AF_INET) {
          reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(static_cast<uint16_t>(c->port_));
        } else {
          reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(static_cast<uint16_t>(c->port_));
        }
        if (!c->bind_host_.empty()) {
          if (int rc = BindLocal(&c->tcp_, c->bind_host_, addr.ss_family); rc != 0) {
            fail(c, rc);
            return;
          }
        }
        auto* creq = new uv_connect_t;
        creq->data = c;
        int rc = uv_tcp_connect(creq, &c->tcp_, reinterpret_cast<sockaddr*>(&addr), [](uv_connect_t* req, int status) {
          auto* c = static_cast<TcpConn*>(req->data);
          delete req;
          if (status == UV_ECANCELED) return;  // closed while connecting
          if (status != 0) {
            ConnectFn fn = std::move(c->on_connected_);
            c->Close();
            if (fn) fn(status);
            return;
          }
          uv_tcp_nodelay(&c->tcp_, 1);
          ConnectFn fn = std::move(c->on_connected_);
          if (fn) fn(0);
        });
        if (rc != 0) {
          delete creq;
          fail(c, rc);
        }
      },
      host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete resolve;
    // Report asynchronously would be nicer; the caller gets the status now.
    fail(conn, rc);
    return nullptr;
  }
  return conn;
}

void TcpConn::Start(DataFn on_data, CloseFn on_close) {
  on_data_ = std::move(on_data);
  on_close_ = std::move(on_close);
  if (closing_) return;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead);
}

void TcpConn::OnAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  // One buffer per thread for every connection: each read is consumed by
  // on_data before the next allocation, and thousands of idle connections
  // (a load generator's) cost no read memory.
  static thread_local char shared[64 * 1024];
  *buf = uv_buf_init(shared, sizeof shared);
}

void TcpConn::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<TcpConn*>(stream->data);
  if (nread < 0) {
    c->Close();
    return;
  }
  if (nread > 0 && c->on_data_ && !c->closing_ && !c->shutting_down_) c->on_data_(buf->base, static_cast<size_t>(nread));
}

void TcpConn::Write(std::string bytes) {
  if (closing_ || shutting_down_ || bytes.empty()) return;
  if (pending_write_bytes_ == 0) {
    // Nothing queued: write now, and queue (allocate a request) only for what
    // the socket did not take. On a healthy connection that is nothing.
    int n = TryWrite(bytes);
    if (n < 0) return;
    if (static_cast<size_t>(n) == bytes.size()) return;
    bytes.erase(0, static_cast<size_t>(n));
  }
  Queue(std::move(bytes));
}

void TcpConn::WriteFrom(std::string* bytes) {
  if (closing_ || shutting_down_ || bytes->empty()) {
    bytes->clear();
    return;
  }
  if (pending_write_bytes_ == 0) {
    int n = TryWrite(*bytes);
    if (n >= 0 && static_cast<size_t>(n) == bytes->size()) {
      // Sent whole: the buffer keeps its capacity for the next iteration,
      // unless a burst made it large.
      if (bytes->capacity() > kKeepCapacity) {
        *bytes = std::string();
      } else {
        bytes->clear();
      }
      return;
    }
    if (n < 0) {
      bytes->clear();
      return;
    }
    bytes->erase(0, static_cast<size_t>(n));
  }
  Queue(std::move(*bytes));
  *bytes = std::string();
}

int TcpConn::TryWrite(std::string& bytes) {
  uv_buf_t now = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &now, 1);
  if (n >= 0) return n;
  if (n == UV_EAGAIN || n == UV_ENOSYS) return 0;
  Close();
  return -1;
}

void TcpConn::Queue(std::string bytes) {
  auto* w = new WriteReq{{}, std::move(bytes), this};
  w->req.data = w;
  pending_write_bytes_ += w->bytes.size();
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, [](uv_write_t* req, int status) {
    auto* w = static_cast<WriteReq*>(req->data);
    TcpConn* c = w->conn;
    c->pending_write_bytes_ -= w->bytes.size();
    delete w;
    if (status < 0 && status != UV_ECANCELED) c->Close();
  });
  if (rc != 0) {
    pending_write_bytes_ -= w->bytes.size();
    delete w;
    Close();
  }
}

void TcpConn::StopReading() {
  if (!closing_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void TcpConn::CloseAfterWrites() {
  if (closing_ || shutting_down_) return;
  shutting_down_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  auto* req = new uv_shutdown_t;
  req->data = this;
  int rc = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t* req, int) {
    auto* c = static_cast<TcpConn*>(req->data);
    delete req;
    c->Close();
  });
  if (rc != 0) {
    delete req;
    Close();
  }
}

void TcpConn::Close() {
  if (closing_) return;
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClosed);
}

void TcpConn::OnClosed(uv_handle_t* handle) {
  auto* c = static_cast<TcpConn*>(handle->data);
  CloseFn fn = std::move(c->on_close_);
  delete c;
  if (fn) fn();
}

std::string TcpConn::peer_address() const {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char ip[64] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    uv_ip4_name(a, ip, sizeof ip);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    uv_ip6_name(a, ip, sizeof ip);
    port = ntohs(a->sin6_port);
  }
  return std::string(ip) + ":" + std::to_string(port);
}

}  // namespace codesync::net
