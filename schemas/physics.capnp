# The physics capsule's scene (the design's "Tier 2" typed request): what `physics.simulate` builds a
# Rapier world from. The same scene is accepted as JSON in the job's params (src/capsules/physics/
# scene.ts has the field-by-field rules and limits, and the defaults that a zero here stands for).
# Source of truth for schemas/gen/physics.ts (run `npm run schemas:gen`).
# Evolution rules: never renumber or retype a field; add fields only at the end (new @N).
@0xb57cf3673616b05e;

struct Vec3 {
  x @0 :Float32;
  y @1 :Float32;
  z @2 :Float32;
}

struct Quat {
  # A unit quaternion (x, y, z, w); an absent one is the identity.
  x @0 :Float32;
  y @1 :Float32;
  z @2 :Float32;
  w @3 :Float32 = 1;
}

struct Scene {
  gravity @0 :Vec3;
  # m/s²; absent: (0, -9.81, 0), y up.
  timestep @1 :Float32 = 0.016666668;
  # Seconds per step.
  solverIterations @2 :UInt32 = 4;
  bodies @3 :List(Body);
  joints @4 :List(Joint);
}

struct Body {
  kind @0 :Kind;
  position @1 :Vec3;
  # Absent vectors are (0, 0, 0), absent rotations the identity.
  rotation @2 :Quat;
  linvel @3 :Vec3;
  angvel @4 :Vec3;
  colliders @5 :List(Collider);

  enum Kind {
    dynamic @0;
    fixed @1;
    kinematic @2;
    # Moved by its velocity only (Rapier's velocity-based kinematic body).
  }
}

struct Collider {
  shape :union {
    ball @0 :Float32;
    # Radius.
    cuboid @1 :Vec3;
    # Half extents.
    capsule @2 :Round;
    cylinder @3 :Round;
    cone @4 :Round;
    convexHull @5 :List(Float32);
    # Points, x y z after each other.
    trimesh @6 :TriMesh;
    heightfield @7 :HeightField;
  }
  density @8 :Float32 = 1;
  # kg/m³.
  friction @9 :Float32 = 0.5;
  restitution @10 :Float32;
  position @11 :Vec3;
  # Offset from the body's origin.
  rotation @12 :Quat;
}

struct Round {
  halfHeight @0 :Float32;
  radius @1 :Float32;
}

struct TriMesh {
  vertices @0 :List(Float32);
  # x y z after each other.
  indices @1 :List(UInt32);
  # Three per triangle.
}

struct HeightField {
  rows @0 :UInt32;
  cols @1 :UInt32;
  heights @2 :List(Float32);
  # (rows + 1) × (cols + 1) heights, column-major (Rapier's layout).
  scale @3 :Vec3;
}

struct Joint {
  kind @0 :Kind;
  body1 @1 :UInt32;
  # Index into Scene.bodies.
  body2 @2 :UInt32;
  anchor1 @3 :Vec3;
  # In body1's local frame.
  anchor2 @4 :Vec3;
  axis @5 :Vec3;
  # Absent: (1, 0, 0). Revolute and prismatic: the free axis (local to both bodies).
  frame1 @6 :Quat;
  # Fixed: each body's reference orientation.
  frame2 @7 :Quat;
  limits @8 :List(Float32);
  # Empty: no limits. Revolute (radians) and prismatic (metres): [min, max]. Spherical: [minX, maxX,
  # minY, maxY, minZ, maxZ] in radians about the local axes. Fixed: none.

  enum Kind {
    fixed @0;
    revolute @1;
    prismatic @2;
    spherical @3;
  }
}
