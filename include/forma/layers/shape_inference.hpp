#pragma once
// Shape inference over a layer list: a left fold (Boost.Hana) that feeds each
// layer the previous output shape. Once a shape is invalid (a failed check
// already reported), the rest of the chain is invalid without further checks.
#include <boost/hana/append.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/back.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <cstddef>
#include <utility>

#include "forma/core/shape.hpp"

namespace forma {

// The shape a type declares (`shape`, or a built layer's `output_shape`), or
// invalid_shape if it has none. clang drops the members of a class whose
// static_assert failed; reading them through this keeps one failed check
// from turning into a cascade of errors.
template <class X>
struct declared_shape {
  using type = invalid_shape;
};
template <class X>
  requires requires { typename X::shape; }
struct declared_shape<X> {
  using type = typename X::shape;
};
template <class B>
struct declared_output_shape {
  using type = invalid_shape;
};
template <class B>
  requires requires { typename B::output_shape; }
struct declared_output_shape<B> {
  using type = typename B::output_shape;
};

namespace detail {

template <class T>
struct infer_next_shape {
  template <class Shapes, class L>
  constexpr auto operator()(Shapes shapes, L) const {
    namespace hana = boost::hana;
    using S = typename decltype(+hana::back(shapes))::type;
    using Lay = typename L::type;
    if constexpr (is_invalid_shape<S>)
      return hana::append(shapes, hana::type_c<invalid_shape>);
    else
      return hana::append(shapes,
                          hana::type_c<typename declared_output_shape<typename Lay::template bind<S, T>>::type>);
  }
};

}  // namespace detail

// shape<0> is In; shape<K> is the output of the K-th layer (1-based).
template <class T, class In, class... Ls>
struct layer_chain {
  using shapes = decltype(boost::hana::fold_left(boost::hana::tuple_t<Ls...>, boost::hana::tuple_t<In>,
                                                 detail::infer_next_shape<T>{}));
  template <std::size_t K>
  using shape = typename decltype(+boost::hana::at_c<K>(std::declval<shapes>()))::type;
  using output_shape = shape<sizeof...(Ls)>;
  static constexpr bool valid = !is_invalid_shape<output_shape>;
};

}  // namespace forma
