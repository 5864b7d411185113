// A plain HTTP app with no shutdown code: clusterchart's agent drains it on restart.
// PORT=0 (the default here) lets the cluster pick one free port that every worker shares.
import http from 'node:http';

http
  .createServer((req, res) => res.end(`hello from ${process.pid}\n`))
  .listen(Number(process.env.PORT ?? 0));
