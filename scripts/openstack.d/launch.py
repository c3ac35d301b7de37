"""Starts an OpenStack program from its Python entry point (Debian's python3-* packages ship
the libraries without /usr/bin launchers for most services).

    launch.py module:function [args...]     call function() with sys.argv = [module, args...]
    launch.py --wsgi HOST PORT module:factory
                                            serve the WSGI application factory() on a threaded
                                            wsgiref server (Keystone, Placement)
    launch.py --swift SWIFT_DIR /usr/bin/swift-x-server [args...]
                                            run a Swift script with swift.conf read from
                                            SWIFT_DIR instead of /etc/swift
"""
import importlib
import runpy
import sys


def entry(spec):
    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func)


def wsgi(host, port, spec):
    import socketserver
    from wsgiref import simple_server

    class Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
        daemon_threads = True
        allow_reuse_address = True

    class Handler(simple_server.WSGIRequestHandler):
        def log_message(self, fmt, *args):  # one line per request on stderr
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    sys.argv = [spec]
    app = entry(spec)()
    server = simple_server.make_server(host, int(port), app, server_class=Server,
                                       handler_class=Handler)
    print("serving %s on %s:%s" % (spec, host, port), file=sys.stderr, flush=True)
    server.serve_forever()


def main():
    args = sys.argv[1:]
    if args[0] == "--wsgi":
        wsgi(args[1], args[2], args[3])
    elif args[0] == "--swift":
        import swift.common.utils as utils
        # Read before swift.common.storage_policy is imported (it loads the policies then).
        utils.SWIFT_CONF_FILE = args[1] + "/swift.conf"
        sys.argv = args[2:]
        runpy.run_path(args[2], run_name="__main__")
    else:
        sys.argv = [args[0].partition(":")[0]] + args[1:]
        sys.exit(entry(args[0])())


if __name__ == "__main__":
    main()
