// Run once by compose's mongo-init service: make the three mongod processes one replica set (idempotent).
try {
  rs.status();
  print("replica set rs0 already initiated");
} catch (notYet) {
  rs.initiate({
    _id: "rs0",
    members: [
      { _id: 0, host: "mongo1:27017", priority: 2 },
      { _id: 1, host: "mongo2:27017" },
      { _id: 2, host: "mongo3:27017" },
    ],
  });
}
